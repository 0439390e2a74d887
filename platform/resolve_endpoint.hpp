// resolve_endpoint: a configured server address ("1.2.3.4:3478",
// "[2001:db8::1]:3478" or "stun.example.org:3478") as a socket address.
// Literals are taken as they are; names go through the system resolver
// (nat_transport.md 4.3: the original's fallback), first answer wins. Only
// servers the operator configured are ever resolved.
#pragma once

#include <string>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

// Errors: "invalid server address '<text>': ..." or "cannot resolve <host>: ...".
result<net::endpoint> resolve_endpoint(const std::string& text);

} // namespace overlayd::platform
