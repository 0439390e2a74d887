// routes: the routes of container plumbing (mechanics.md 5:
// add_default_route_via_gateway, replace_route_via_dev,
// delete_route_via_dev): a container's default route through its bridge
// gateway, and the host's /32 (/128) toward a bridgeless veth. All in the
// main table of the caller's namespace.
#pragma once

#include <optional>
#include <string>

#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

// 0.0.0.0/0 (or ::/0) via `gateway`, family from the gateway. A default
// route already there is an error (no replace flag, as the original).
result<void> add_default_route_via_gateway(const net::ip_address& gateway);

// dest/prefix dev `dev` scope link [src `source`], created or replaced.
// `dest` and `source` of different families fail with the spec's text
// "address family mismatch: dest=<dest> src=<source>" before any netlink.
result<void> replace_route_via_dev(const net::ip_address& dest, unsigned prefix,
                                   const std::string& dev,
                                   const std::optional<net::ip_address>& source);

// Removes dest/prefix dev `dev`. A missing route or a missing `dev` counts
// as removed (teardown is best effort and idempotent).
result<void> delete_route_via_dev(const net::ip_address& dest, unsigned prefix,
                                  const std::string& dev);

} // namespace overlayd::platform
