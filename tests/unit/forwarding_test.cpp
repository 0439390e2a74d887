// platform/forwarding: the forwarding-sysctl record of mechanics.md 8, over
// an in-memory sysctl table; and proc_sysctl over a temp directory.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "platform/forwarding.hpp"
#include "platform/sysctl_access.hpp"
#include "support/fake_sysctls.hpp"
#include "support/files.hpp"
#include "support/scratch_dir.hpp"

namespace platform = overlayd::platform;

using overlayd::testing::read_file;

namespace {

using recording_sysctls = overlayd::testing::fake_sysctls;

using sysctl_dir = overlayd::testing::scratch_dir;

} // namespace

TEST_CASE("forwarding: first IPv4 attach snapshots ip_forward, every attach writes 1",
          "[forwarding]") {
  recording_sysctls sysctls;
  sysctls.values["net.ipv4.ip_forward"] = "0\n";
  platform::forwarding_sysctls forwarding(sysctls);

  forwarding.enable_for_attach(false, "veth-100-s", "zl-ab12-b");
  CHECK(forwarding.ipv4_snapshot() == std::optional<std::string>("0\n"));
  CHECK(sysctls.values["net.ipv4.ip_forward"] == "1");
  forwarding.enable_for_attach(false, "veth-101-s", "zl-ab12-b");
  CHECK(forwarding.ipv4_snapshot() == std::optional<std::string>("0\n")); // not re-taken
  CHECK(sysctls.writes
        == std::vector<std::string>{"net.ipv4.ip_forward=1", "net.ipv4.ip_forward=1"});
  CHECK(forwarding.ipv6_devices().empty());

  forwarding.revert();
  CHECK(sysctls.values["net.ipv4.ip_forward"] == "0\n"); // verbatim, newline included
  CHECK_FALSE(forwarding.ipv4_snapshot().has_value());

  // Reverting again changes nothing; a later attach takes a new snapshot.
  auto writes = sysctls.writes.size();
  forwarding.revert();
  CHECK(sysctls.writes.size() == writes);
  sysctls.values["net.ipv4.ip_forward"] = "1\n";
  forwarding.enable_for_attach(false, "veth-102-s", "");
  CHECK(forwarding.ipv4_snapshot() == std::optional<std::string>("1\n"));
}

TEST_CASE("forwarding: IPv6 devices get force_forwarding where the kernel has it",
          "[forwarding]") {
  recording_sysctls sysctls;
  sysctls.values["net.ipv6.conf.veth-7-s.forwarding"] = "0";
  sysctls.values["net.ipv6.conf.veth-7-s.force_forwarding"] = "0";
  sysctls.values["net.ipv6.conf.zl-ab12-g.forwarding"] = "0";
  sysctls.values["net.ipv6.conf.zl-ab12-g.force_forwarding"] = "0";
  sysctls.values["net.ipv6.conf.all.forwarding"] = "0";
  platform::forwarding_sysctls forwarding(sysctls);
  forwarding.enable_for_attach(true, "veth-7-s", "");
  forwarding.enable_ipv6("zl-ab12-g"); // the overlay device traffic arrives on
  CHECK(sysctls.values["net.ipv6.conf.veth-7-s.force_forwarding"] == "1");
  CHECK(sysctls.values["net.ipv6.conf.zl-ab12-g.forwarding"] == "1");
  CHECK(sysctls.values["net.ipv6.conf.zl-ab12-g.force_forwarding"] == "1");
  CHECK(sysctls.values["net.ipv6.conf.all.forwarding"] == "0");
  CHECK(forwarding.ipv6_devices() == std::vector<std::string>{"veth-7-s", "zl-ab12-g"});
  forwarding.revert();
  CHECK(sysctls.values["net.ipv6.conf.veth-7-s.force_forwarding"] == "0");
  CHECK(sysctls.values["net.ipv6.conf.zl-ab12-g.force_forwarding"] == "0");
  CHECK(sysctls.values["net.ipv6.conf.zl-ab12-g.forwarding"] == "0");
}

TEST_CASE("forwarding: an unreadable ip_forward counts as 0", "[forwarding]") {
  recording_sysctls sysctls; // no keys at all: reads and writes fail, ignored
  platform::forwarding_sysctls forwarding(sysctls);
  forwarding.enable_for_attach(false, "veth-1-s", "zl-x-b");
  CHECK(forwarding.ipv4_snapshot() == std::optional<std::string>("0"));
  forwarding.revert();
  CHECK(sysctls.writes == std::vector<std::string>{"net.ipv4.ip_forward=1", "net.ipv4.ip_forward=0"});
}

TEST_CASE("forwarding: IPv6 attach enables the veth and the bridge, never all", "[forwarding]") {
  recording_sysctls sysctls;
  sysctls.values["net.ipv4.ip_forward"] = "0\n";
  sysctls.values["net.ipv6.conf.veth-7-s.forwarding"] = "0";
  sysctls.values["net.ipv6.conf.zl-ab12-b.forwarding"] = "0";
  sysctls.values["net.ipv6.conf.veth-8-s.forwarding"] = "0";
  sysctls.values["net.ipv6.conf.veth-9-g.forwarding"] = "0";
  sysctls.values["net.ipv6.conf.all.forwarding"] = "0";
  platform::forwarding_sysctls forwarding(sysctls);

  forwarding.enable_for_attach(true, "veth-7-s", "zl-ab12-b");
  forwarding.enable_for_attach(true, "veth-8-s", "zl-ab12-b");
  forwarding.enable_for_attach(true, "veth-9-g", ""); // bridgeless eth1
  forwarding.enable_for_attach(true, "veth-gone-s", "zl-gone-b"); // writes fail: not remembered
  CHECK(sysctls.values["net.ipv4.ip_forward"] == "1"); // IPv4 too, even for v6 attaches
  CHECK(sysctls.values["net.ipv6.conf.veth-7-s.forwarding"] == "1");
  CHECK(sysctls.values["net.ipv6.conf.zl-ab12-b.forwarding"] == "1");
  CHECK(sysctls.values["net.ipv6.conf.all.forwarding"] == "0");
  CHECK(forwarding.ipv6_devices()
        == std::vector<std::string>{"veth-7-s", "zl-ab12-b", "veth-8-s", "veth-9-g"});
  for (const auto& write : sysctls.writes)
    CHECK(write.find(".all.") == std::string::npos);

  forwarding.revert();
  CHECK(sysctls.values["net.ipv6.conf.veth-7-s.forwarding"] == "0");
  CHECK(sysctls.values["net.ipv6.conf.zl-ab12-b.forwarding"] == "0");
  CHECK(sysctls.values["net.ipv6.conf.veth-8-s.forwarding"] == "0");
  CHECK(sysctls.values["net.ipv6.conf.veth-9-g.forwarding"] == "0");
  CHECK(sysctls.values["net.ipv4.ip_forward"] == "0\n");
  CHECK(forwarding.ipv6_devices().empty());
}

TEST_CASE("forwarding: keys for device names with dots use the slash form", "[forwarding]") {
  CHECK(platform::ipv6_forwarding_key("zl-ab12-b") == "net.ipv6.conf.zl-ab12-b.forwarding");
  CHECK(platform::ipv6_forwarding_key("eth0.100") == "net/ipv6/conf/eth0.100/forwarding");
  CHECK(platform::sysctl_relative_path("net.ipv4.ip_forward") == "net/ipv4/ip_forward");
  CHECK(platform::sysctl_relative_path("net/ipv6/conf/eth0.100/forwarding")
        == "net/ipv6/conf/eth0.100/forwarding");
}

TEST_CASE("proc_sysctl reads raw values and writes in place under its root", "[forwarding]") {
  sysctl_dir root;
  std::filesystem::create_directories(root.path() + "/net/ipv4");
  std::filesystem::create_directories(root.path() + "/net/ipv6/conf/eth0.100");
  std::ofstream(root.path() + "/net/ipv4/ip_forward") << "0\n";
  std::ofstream(root.path() + "/net/ipv6/conf/eth0.100/forwarding") << "0\n";
  platform::proc_sysctl sysctls(root.path());

  auto value = sysctls.read("net.ipv4.ip_forward");
  REQUIRE(value.ok());
  CHECK(*value == "0\n");
  REQUIRE(sysctls.write("net.ipv4.ip_forward", "1").ok());
  CHECK(read_file(root.path() + "/net/ipv4/ip_forward") == "1");
  REQUIRE(sysctls.write(platform::ipv6_forwarding_key("eth0.100"), "1").ok());
  CHECK(read_file(root.path() + "/net/ipv6/conf/eth0.100/forwarding") == "1");

  // A key the kernel does not offer is an error, never a new file.
  auto missing = sysctls.write("net.ipv6.conf.nope.forwarding", "1");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error_message()
        == "write_sysctl(net.ipv6.conf.nope.forwarding): No such file or directory");
  CHECK_FALSE(std::filesystem::exists(root.path() + "/net/ipv6/conf/nope"));
  auto unreadable = sysctls.read("net.bridge.bridge-nf-call-iptables");
  REQUIRE_FALSE(unreadable.ok());
  CHECK(unreadable.error_message()
        == "read_sysctl(net.bridge.bridge-nf-call-iptables): No such file or directory");
}
