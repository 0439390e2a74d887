// sysctl: kernel settings under /proc/sys (mechanics.md 5 set_sysctl /
// read_sysctl; 8 forwarding). /proc/sys/net answers for the network
// namespace of the calling thread, so a thread that setns()ed reads and
// writes that namespace's values.
#pragma once

#include <string>

#include "net/result.hpp"

namespace overlayd::platform {

// "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward": every '.'
// becomes '/', as the original does. A key that already holds a '/' is
// taken as a path unchanged, as sysctl(8) does: the only way to name a
// device with a dot ("net/ipv6/conf/eth0.100/forwarding"), and the form
// forwarding.hpp uses for those.
std::string sysctl_path(const std::string& key);

// Writes `value` as given: no newline added.
result<void> set_sysctl(const std::string& key, const std::string& value);

// The file's text as the kernel gives it, trailing newline included (the
// forwarding snapshot is restored verbatim).
result<std::string> read_sysctl(const std::string& key);

} // namespace overlayd::platform
