// What overlayctl prints for people (the --json forms print the daemon's
// answer as it is).
#pragma once

#include <map>
#include <string>

#include "app/uapi_transfer.hpp"
#include "messages/responses.hpp"

namespace overlayd::app {

// Per peer: how it is reached (from nat_status) and its transfer (from the
// device's UAPI socket), both by hex key where known.
struct peer_extras {
  std::map<std::string, std::string> connection_type; // by base64 or hex key
  std::map<std::string, app::transfer> transfers;     // by hex key
};

// `now_unix` makes handshake ages ("12 s ago").
std::string show_status(const msg::status_snapshot& s, const peer_extras& extras,
                        std::int64_t now_unix);
std::string show_peers(const msg::status_snapshot& s, const peer_extras& extras,
                       std::int64_t now_unix);
std::string show_services(const msg::status_snapshot& s);
std::string show_nat(const msg::nat_status_wire& s);
std::string show_dns(const msg::overlayd_dns_status_wire& s);

} // namespace overlayd::app
