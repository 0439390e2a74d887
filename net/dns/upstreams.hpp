// upstreams: where out-of-zone queries go (mechanics.md 7.13): the
// configured list, else the `nameserver` lines of resolv.conf minus
// loopback (127.0.0.53 included) and unspecified addresses, `%zone`
// suffixes stripped, deduplicated, port 53. Nothing left means no
// forwarding (REFUSED), never a public resolver (DECISIONS 5).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "net/base/endpoint.hpp"

namespace overlayd::net::dns {

inline constexpr std::uint16_t dns_port = 53;

// "IP", "IP:PORT" or "[IPv6]:PORT"; port 53 when none is given.
std::optional<endpoint> parse_upstream(std::string_view text);

std::vector<endpoint> upstreams_from_resolv_conf(std::string_view text);

} // namespace overlayd::net::dns
