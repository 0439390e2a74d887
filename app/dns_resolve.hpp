// dns_resolve: `overlayctl dns resolve NAME`: one query sent to the
// daemon's responder (UDP, TCP when the answer is truncated), the answer
// printed as zone-file lines.
#pragma once

#include <string>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"

namespace overlayd::app {

struct resolved {
  std::string rcode;   // "NOERROR", "NXDOMAIN", ...
  std::string answer;  // the answer section, one record a line
  std::string authority;
};

// `name` without a trailing dot gets `zone` appended, as registrations do;
// an IP address asks for its PTR. `type` as dig writes it (A, AAAA, PTR,
// ANY...); empty: A, or PTR for an address.
result<resolved> resolve_through(const net::endpoint& server, const std::string& name,
                                 const std::string& type, const std::string& zone);

// A listen address clients reach: the unspecified address becomes loopback.
net::endpoint reachable(const net::endpoint& listen);

} // namespace overlayd::app
