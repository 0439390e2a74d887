// links: every link of the caller's network namespace, as the orphan
// sweeps see them (mechanics.md 5, list_all_links; 4.3). Deleting a link by
// name is platform::delete_link (netlink.hpp): a missing link counts as
// deleted, as delete_link_by_name / delete_bridge do in the spec.
#pragma once

#include <string>
#include <vector>

#include "net/base/result.hpp"

namespace overlayd::platform {

struct link_entry {
  int ifindex = 0;
  std::string name;

  friend bool operator==(const link_entry& a, const link_entry& b) {
    return a.ifindex == b.ifindex && a.name == b.name;
  }
  friend bool operator!=(const link_entry& a, const link_entry& b) { return !(a == b); }
};

// One RTM_GETLINK dump, in the kernel's order; links without a name are
// left out.
result<std::vector<link_entry>> list_all_links();

} // namespace overlayd::platform
