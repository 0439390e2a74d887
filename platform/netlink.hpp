// netlink: the link and route changes overlayd makes, over
// RTNETLINK with libnl-route (mechanics.md section 5; no shelling out to
// `ip`). Each call opens its own socket: these are control-plane calls, and
// a socket per call keeps them safe from any thread, including one that
// has entered another network namespace.
#pragma once

#include <string>

#include "net/base/cidr.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

bool link_exists(const std::string& name);

// A missing link counts as deleted.
result<void> delete_link(const std::string& name);

result<void> set_link_up(const std::string& name);
result<void> set_link_mtu(const std::string& name, unsigned mtu);
result<unsigned> link_mtu(const std::string& name);

// A route to `destination` through the link, main table, scope link; an
// existing identical route counts as added.
result<void> add_link_route(const std::string& name, const net::cidr& destination);

} // namespace overlayd::platform
