// transport_conversions: between the contract's peer types (base64 keys,
// comma-separated allowed IPs, Rust socket-address text) and a device's
// UAPI operations and status (raw keys, one prefix each).
#pragma once

#include <vector>

#include "messages/nested_types.hpp"
#include "net/base/result.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd {

// DECISIONS 15: "a/32,b/24" becomes two allowed IPs. Errors name the bad
// part ("invalid allowed IP 10.0.0.0/33: invalid prefix length 33 (max 32)").
result<net::wg::uapi_peer_config> peer_config_from_spec(const msg::peer_spec& spec);

// The peers of a device as Status reports them (mechanics.md 7.15): keys
// in hex as the UAPI dump has them, allowed IPs joined with ",".
std::vector<msg::peer_status> peer_statuses(const net::wg::uapi_device_status& device);

} // namespace overlayd
