// veth: the pair that joins a container to the host, and the move of its
// container end into the container's network namespace (mechanics.md 5:
// create_veth_pair, move_link_into_netns_fd_and_rename; 7.7 steps 6-7).
#pragma once

#include <optional>
#include <string>

#include "net/base/result.hpp"

namespace overlayd::platform {

// Both ends in the caller's namespace, admin-down; with `peer_netns_fd` the
// peer end is born in that namespace instead. That saves the move, which
// costs a kernel RCU grace period (10-20 ms) per container. Unlike
// create_bridge, a name already in use is an error: "veth pair already
// exists: host=<host> peer=<peer>" (the spec's text), since a stale end
// would carry another container's traffic.
result<void> create_veth_pair(const std::string& host, const std::string& peer,
                              std::optional<int> peer_netns_fd = std::nullopt);

// One RTM_SETLINK carrying IFLA_NET_NS_FD and IFLA_IFNAME: `link` leaves
// the caller's namespace for the one `netns_fd` refers to and is called
// `new_name` there, so no container ever sees the temporary name. A
// missing link is an error. The caller keeps ownership of `netns_fd`.
result<void> move_link_into_netns_and_rename(const std::string& link, int netns_fd,
                                             const std::string& new_name);

} // namespace overlayd::platform
