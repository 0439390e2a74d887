// sysctl_access: reading and writing kernel parameters by their sysctl key
// ("net.ipv4.ip_forward"), behind an interface so the bookkeeping of
// mechanics.md 8 (forwarding) and the br_netfilter switch of the firewall
// (mechanics.md 11) can be unit-tested without touching the host.
// The default implementation goes straight to /proc/sys.
#pragma once

#include <string>

#include "net/base/result.hpp"

namespace overlayd::platform {

class sysctl_access {
public:
  virtual ~sysctl_access() = default;

  // The raw contents, trailing newline included ("1\n"): a snapshot that is
  // written back later must be restored verbatim.
  virtual result<std::string> read(const std::string& key) = 0;
  virtual result<void> write(const std::string& key, const std::string& value) = 0;
};

// /proc/sys (or another root, for tests). Errors read like
// "write_sysctl(net.ipv4.ip_forward): Permission denied".
// /proc/sys/net is per network namespace: it follows the calling thread's.
class proc_sysctl final : public sysctl_access {
public:
  explicit proc_sysctl(std::string root = "/proc/sys");

  result<std::string> read(const std::string& key) override;
  result<void> write(const std::string& key, const std::string& value) override;

private:
  std::string root_;
};

// "net.ipv4.ip_forward" -> "net/ipv4/ip_forward". A key that already holds
// a '/' is taken as a path unchanged, as sysctl(8) does: that is how names
// containing dots (an interface "eth0.100") are spelled.
std::string sysctl_relative_path(const std::string& key);

} // namespace overlayd::platform
