// What the bridge manager has changed on the host (mechanics.md 9), and the
// operations that change it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/bridge_manager.hpp"
#include "platform/bridge_file.hpp"
#include "platform/command_runner.hpp"
#include "platform/firewall.hpp"
#include "platform/forwarding.hpp"
#include "platform/unmanaged_dropins.hpp"
#include "platform/sysctl_access.hpp"

namespace overlayd {

class bridge_manager_state {
public:
  static inline const char* name = "bridge_manager";

  // Adopts the bridges the last run recorded that still exist.
  void init(host_access host, const std::string& bridges_file);

  address_reply make(const make_bridge& r);
  done_reply remove(const delete_bridge& r);
  done_reply attach(const attach_veth& r);
  done_reply detach(const detach_veths& r);
  pids_reply adopt(const adopt_veths& r);
  count_reply members(const count_bridge_members& r) const;
  done_reply revert();
  done_reply secure(const secure_overlay& r);
  done_reply fence(const fence_member& r);
  done_reply unfence(const unfence_member& r);
  names_reply prune(const prune_bridges& r);

private:
  struct host_route {
    net::ip_address ip;
    unsigned prefix = 0;
    std::string device;
  };

  result<void> plumb(const attach_veth& r, int netns_fd, const std::string& host);
  // created_bridges_ on disk, when it is kept.
  result<void> save_bridges() const;

  host_access host_;
  std::optional<platform::forwarding_sysctls> forwarding_;
  std::optional<platform::firewall> firewall_;
  std::optional<platform::unmanaged_dropins> dropins_;
  std::vector<std::string> created_bridges_;
  std::optional<platform::bridge_file> bridges_file_;
  std::vector<std::string> created_veths_;
  std::vector<host_route> created_host_routes_;
};

} // namespace overlayd
