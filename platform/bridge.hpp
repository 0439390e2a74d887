// bridge: the Linux bridges service containers attach to (mechanics.md 5:
// create_bridge, set_bridge_stp, add_link_to_bridge, bridge_member_count).
// Deleting one is platform::delete_link (netlink.hpp), as delete_bridge is
// delete_link_by_name in the spec.
//
// STP and membership go over netlink, not /sys/class/net as the original
// does: sysfs shows the namespace it was mounted in, not the caller's, so
// from a thread that setns()ed (tests, run_in_netns) the sysfs answer
// would be about another namespace's links. Netlink answers for the
// caller's namespace; the semantics are the spec's.
#pragma once

#include <cstddef>
#include <string>

#include "net/base/result.hpp"

namespace overlayd::platform {

// RTM_NEWLINK kind bridge, left admin-down. An existing link of that name
// counts as created, without checking that it is a bridge.
result<void> create_bridge(const std::string& name);

// STP on or off. A missing link, or one that is not a bridge, is an error
// (the original: no /sys/class/net/<name>/bridge -> NotFound).
result<void> set_bridge_stp(const std::string& name, bool on);

// Makes `link` a port of `bridge` (IFLA_MASTER); both must exist.
result<void> add_link_to_bridge(const std::string& link, const std::string& bridge);

// How many links have `name` as their bridge; 0 when it is missing or not a
// bridge. Infallible: the ephemeral last-leaver check only compares with 0.
std::size_t bridge_member_count(const std::string& name);

} // namespace overlayd::platform
