// host_access: how a node reaches the machine it runs on. Everything that
// changes the host goes through one of these, so that an embedding program
// or a test can hand in fakes, scratch directories and a network namespace
// of its own (DESIGN.md safety rules); a null collaborator or an empty path
// means the real host.
#pragma once

#include <memory>
#include <string>

namespace overlayd {

namespace platform {
class command_runner;
class sysctl_access;
} // namespace platform

struct host_access {
  std::shared_ptr<platform::sysctl_access> sysctl;  // forwarding; null: /proc/sys
  std::shared_ptr<platform::command_runner> runner; // iptables, networkctl, nmcli; null: real
  std::string dropin_root = "/";                    // where /run/... drop-ins go
  std::string uapi_dir = "/var/run/wireguard";      // WireGuard UAPI sockets
  // A network namespace file (/run/netns/<name>) that every link, route,
  // socket and rule of the node is made in; empty: the process's own.
  std::string netns;
  bool rootless = false; // ZLAYER_ROOTLESS: no host rules
};

} // namespace overlayd
