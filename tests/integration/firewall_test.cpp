// platform/firewall with the real iptables (root only): every rule goes into
// network namespaces the test creates. The product code runs on a thread
// that has entered the namespace (network_namespace::enter); the iptables
// processes it spawns inherit that thread's namespace, which the first test
// checks before trusting it. The machine's own rule set is compared before
// and after.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "netns.hpp"
#include "platform/command_runner.hpp"
#include "platform/firewall.hpp"
#include "platform/sysctl_access.hpp"
#include "fake_sysctls.hpp"

using overlayd::result;
using overlayd::net::cidr;
using overlayd::net::ip_address;
using overlayd::testing::network_namespace;
namespace platform = overlayd::platform;

namespace {

// Values kept in memory: the rule tests must not depend on (or change) any
// sysctl; the traffic test below uses the real ones of its own namespace.
overlayd::testing::fake_sysctls memory_sysctls() {
  overlayd::testing::fake_sysctls sysctls;
  sysctls.values = {{"net.bridge.bridge-nf-call-iptables", "1\n"},
                    {"net.bridge.bridge-nf-call-ip6tables", "1\n"}};
  return sysctls;
}

// Failures seen on the namespace thread, asserted on the test thread
// (a Catch assertion thrown on another thread would end the process).
struct outcome {
  std::vector<std::string> errors;
  void note(const result<void>& r) {
    if (!r.ok())
      errors.push_back(r.error_message());
  }
};

// iptables-save and ip6tables-save without the timestamp comments and the
// packet counters (the machine's move with its traffic).
std::string normalized(const std::string& saved) {
  static const std::regex counters(R"(\[\d+:\d+\])");
  std::istringstream in(saved);
  std::string line, out;
  while (std::getline(in, line))
    if (line.empty() || line[0] != '#')
      out += std::regex_replace(line, counters, "[]") + "\n";
  return out;
}

std::string namespace_rules(const network_namespace& ns) {
  return normalized(ns.output_of("iptables-save; echo ====; ip6tables-save"));
}

// Read only: runs in the machine's namespace (the test thread never enters one).
std::string machine_rules() {
  platform::process_runner runner;
  std::string text;
  for (const char* program : {"iptables-save", "ip6tables-save"}) {
    auto saved = runner.run({program});
    text += saved ? saved->out : "(" + saved.error_message() + ")";
    text += "====\n";
  }
  return normalized(text);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

int count_of(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

bool can_run_iptables() {
  if (!overlayd::testing::root_or_skip("network namespaces, iptables"))
    return false;
  if (platform::find_program("iptables").empty() || platform::find_program("ip6tables").empty()) {
    WARN("skipped: iptables/ip6tables are not installed (scripts/setup.sh installs iptables)");
    return false;
  }
  return true;
}

// Bridge netfilter switches are per network namespace from Linux 5.3 on;
// before that, writing one inside a namespace would change the machine's.
bool bridge_sysctls_are_per_namespace() {
  utsname name{};
  if (::uname(&name) != 0)
    return false;
  int major = 0, minor = 0;
  if (std::sscanf(name.release, "%d.%d", &major, &minor) != 2)
    return false;
  return major > 5 || (major == 5 && minor >= 3);
}

std::string read_file(const std::string& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buffer[256];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
      text.append(buffer, n);
    std::fclose(f);
  }
  return text;
}

} // namespace

TEST_CASE("firewall: real iptables in a namespace; idempotent; removal restores it exactly",
          "[integration][root][firewall]") {
  if (!can_run_iptables())
    return;
  const auto machine_before = machine_rules();
  network_namespace ns("fw");
  REQUIRE(ns.ok());
  // Someone else's rules, which must survive (they also create the tables,
  // so the before/after listings are comparable).
  REQUIRE(ns.run("iptables -P FORWARD DROP && iptables -A INPUT -i lo -j ACCEPT && "
                 "iptables -A FORWARD -i eth9 -j ACCEPT && "
                 "iptables -t nat -A POSTROUTING -o eth9 -j MASQUERADE && "
                 "ip6tables -A INPUT -i lo -j ACCEPT && "
                 "ip6tables -t nat -A POSTROUTING -o eth9 -j MASQUERADE")
          == 0);
  const auto before = namespace_rules(ns);

  // A child spawned from the namespace thread lives in that namespace.
  std::string child_namespace;
  ns.enter([&] {
    platform::process_runner runner;
    auto link = runner.run({"readlink", "/proc/self/ns/net"});
    child_namespace = link ? trimmed(link->out) : link.error_message();
  });
  struct stat st {};
  REQUIRE(::stat(("/var/run/netns/" + ns.name()).c_str(), &st) == 0);
  REQUIRE(child_namespace == "net:[" + std::to_string(st.st_ino) + "]");

  const auto cluster = *cidr::parse("10.200.0.0/16");
  const auto node = ip("10.200.0.1");
  auto sysctls = memory_sysctls();
  // Built here, used only inside ns.enter: the commands run where they are
  // called from.
  platform::process_runner runner;
  platform::firewall fw(runner, sysctls);
  auto install = [&](outcome& seen) {
    ns.enter([&] {
      seen.note(fw.ensure_overlay_subnet_rules(cluster));
      seen.note(fw.ensure_overlay_masquerade(cluster));
      seen.note(fw.ensure_member_isolation("backend", ip("10.200.0.5"), {}, node, cluster));
      seen.note(fw.ensure_member_isolation("backend", ip("10.200.0.6"), {ip("10.200.0.5")}, node,
                                           cluster));
      seen.note(fw.ensure_member_isolation("backend", ip("10.200.0.7"),
                                           {ip("10.200.0.5"), ip("10.200.0.6")}, node, cluster));
    });
  };
  outcome first;
  install(first);
  CHECK(first.errors.empty());
  const auto installed = namespace_rules(ns);
  INFO(installed);
  CHECK(contains(installed, "-A INPUT -s 10.200.0.0/16 -m comment --comment zlayer-overlay -j ACCEPT"));
  CHECK(contains(installed, "-A FORWARD -s 10.200.0.0/16 -m comment --comment zlayer-overlay -j ACCEPT"));
  CHECK(contains(installed, "-A FORWARD -d 10.200.0.0/16 -m comment --comment zlayer-overlay -j ACCEPT"));
  CHECK(contains(installed, "-A POSTROUTING -s 10.200.0.0/16 ! -d 10.200.0.0/16 -m comment "
                            "--comment zlayer-overlay -j MASQUERADE"));
  CHECK(contains(installed, ":ZLAYER-OVERLAY-ISO - []"));
  // The jump is FORWARD's first rule, above the allow rules.
  auto first_forward = installed.find("-A FORWARD ");
  REQUIRE(first_forward != std::string::npos);
  const std::string jump =
      "-A FORWARD -m comment --comment zlayer-overlay-iso -j ZLAYER-OVERLAY-ISO\n";
  CHECK(installed.compare(first_forward, jump.size(), jump) == 0);
  CHECK(contains(installed, "-A ZLAYER-OVERLAY-ISO -s 10.200.0.7/32 -d 10.200.0.5/32 -m comment "
                            "--comment \"zlayer-overlay-iso:backend\" -j ACCEPT"));
  CHECK(contains(installed, "-A ZLAYER-OVERLAY-ISO -s 10.200.0.0/16 -d 10.200.0.7/32 -m comment "
                            "--comment \"zlayer-overlay-iso:backend\" -j DROP"));
  CHECK(count_of(installed, "-A ZLAYER-OVERLAY-ISO ") == 4 + 6 + 8);
  // IPv4 cluster: ip6tables untouched.
  CHECK(installed.substr(installed.find("====")) == before.substr(before.find("====")));

  // Ensure twice adds nothing.
  outcome second;
  install(second);
  CHECK(second.errors.empty());
  CHECK(namespace_rules(ns) == installed);

  // A member leaves: its rules (and the pair rules naming it) go, chain and jump stay.
  ns.enter([&] {
    fw.remove_member_isolation("backend", ip("10.200.0.7"), {ip("10.200.0.5"), ip("10.200.0.6")},
                               node, cluster);
  });
  const auto after_leave = namespace_rules(ns);
  CHECK_FALSE(contains(after_leave, "10.200.0.7/32"));
  CHECK(count_of(after_leave, "-A ZLAYER-OVERLAY-ISO ") == 4 + 6);
  CHECK(contains(after_leave, "-j ZLAYER-OVERLAY-ISO"));

  // Teardown leaves the namespace's rules exactly as they were.
  ns.enter([&] {
    fw.remove_overlay_masquerade();
    fw.remove_overlay_subnet_rules();
    fw.remove_overlay_isolation();
  });
  CHECK(namespace_rules(ns) == before);
  CHECK(machine_rules() == machine_before);
}

TEST_CASE("firewall: an IPv6 cluster's rules go through ip6tables and come out again",
          "[integration][root][firewall]") {
  if (!can_run_iptables())
    return;
  const auto machine_before = machine_rules();
  network_namespace ns("fw6");
  REQUIRE(ns.ok());
  REQUIRE(ns.run("iptables -A INPUT -i lo -j ACCEPT && iptables -t nat -A POSTROUTING -o eth9 "
                 "-j MASQUERADE && ip6tables -A INPUT -i lo -j ACCEPT && "
                 "ip6tables -t nat -A POSTROUTING -o eth9 -j MASQUERADE")
          == 0);
  const auto before = namespace_rules(ns);
  const auto cluster = *cidr::parse("fd00:200::/64");
  auto sysctls = memory_sysctls();
  platform::process_runner runner;
  platform::firewall fw(runner, sysctls);
  outcome seen;
  ns.enter([&] {
    seen.note(fw.ensure_overlay_subnet_rules(cluster));
    seen.note(fw.ensure_overlay_masquerade(cluster));
    seen.note(fw.ensure_member_isolation("v6net", ip("fd00:200::7"), {ip("fd00:200::5")},
                                         ip("fd00:200::1"), cluster));
  });
  CHECK(seen.errors.empty());
  const auto installed = namespace_rules(ns);
  INFO(installed);
  auto v6_part = installed.substr(installed.find("===="));
  CHECK(contains(v6_part, "-A INPUT -s fd00:200::/64 -m comment --comment zlayer-overlay -j ACCEPT"));
  CHECK(contains(v6_part, "-A POSTROUTING -s fd00:200::/64 ! -d fd00:200::/64 -m comment "
                          "--comment zlayer-overlay -j MASQUERADE"));
  CHECK(contains(v6_part, "-A ZLAYER-OVERLAY-ISO -s fd00:200::7/128 -d fd00:200::5/128"));
  CHECK(installed.substr(0, installed.find("====")) == before.substr(0, before.find("====")));

  ns.enter([&] {
    fw.remove_member_isolation("v6net", ip("fd00:200::7"), {ip("fd00:200::5")},
                               ip("fd00:200::1"), cluster);
    fw.remove_overlay_masquerade();
    fw.remove_overlay_subnet_rules();
    fw.remove_overlay_isolation();
  });
  CHECK(namespace_rules(ns) == before);
  CHECK(machine_rules() == machine_before);
}

// Traffic, not just listings: a "host" namespace with a bridge for one
// service (members A and B of network "backend", non-member C) and a second
// bridge with D, under a FORWARD policy of DROP. Same-bridge fencing needs
// br_netfilter (firewall.hpp); it is exercised when the kernel has it.
TEST_CASE("firewall: isolation fences members from non-members, on one bridge and across",
          "[integration][root][firewall]") {
  if (!can_run_iptables())
    return;
  const auto machine_before = machine_rules();
  const auto machine_bridge_switch = read_file("/proc/sys/net/bridge/bridge-nf-call-iptables");
  network_namespace host("fwh"), a("fwa"), b("fwb"), c("fwc"), d("fwd");
  REQUIRE((host.ok() && a.ok() && b.ok() && c.ok() && d.ok()));

  const bool bridge_netfilter =
      bridge_sysctls_are_per_namespace()
      && host.run("test -e /proc/sys/net/bridge/bridge-nf-call-iptables") == 0;
  REQUIRE(host.run("ip link add zl-t-b type bridge && ip addr add 10.200.1.1/26 dev zl-t-b && "
                   "ip link set zl-t-b up && ip link add zl-t2-b type bridge && "
                   "ip addr add 10.200.2.1/26 dev zl-t2-b && ip link set zl-t2-b up && "
                   "echo 1 > /proc/sys/net/ipv4/ip_forward && iptables -P FORWARD DROP")
          == 0);
  struct member {
    const network_namespace& ns;
    const char* veth;
    const char* address;
    const char* bridge;
    const char* gateway;
  };
  const member members[] = {{a, "veth-a", "10.200.1.5/26", "zl-t-b", "10.200.1.1"},
                            {b, "veth-b", "10.200.1.6/26", "zl-t-b", "10.200.1.1"},
                            {c, "veth-c", "10.200.1.7/26", "zl-t-b", "10.200.1.1"},
                            {d, "veth-d", "10.200.2.5/26", "zl-t2-b", "10.200.2.1"}};
  for (const auto& m : members) {
    REQUIRE(host.run(std::string("ip link add ") + m.veth + " type veth peer name eth0 netns "
                     + m.ns.name() + " && ip link set " + m.veth + " master " + m.bridge
                     + " && ip link set " + m.veth + " up")
            == 0);
    REQUIRE(m.ns.run(std::string("ip addr add ") + m.address + " dev eth0 && ip link set eth0 up "
                     "&& ip route add default via " + m.gateway)
            == 0);
  }
  auto reaches = [](const network_namespace& from, const char* to) {
    return from.run(std::string("ping -c1 -W1 -q ") + to + " >/dev/null 2>&1") == 0;
  };
  if (bridge_netfilter) {
    // Start from "off", so the firewall has to switch it on; with it off,
    // same-bridge traffic bypasses even a DROP policy (the baseline below).
    REQUIRE(host.run("echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables") == 0);
    CHECK(reaches(a, "10.200.1.7"));
  }
  CHECK_FALSE(reaches(c, "10.200.2.5")); // routed: the DROP policy holds before our rules
  const auto cluster = *cidr::parse("10.200.0.0/16");
  const auto node = ip("10.200.1.1");
  // /proc/sys/net follows the calling thread: used inside host.enter only,
  // these are the host namespace's own switches.
  platform::proc_sysctl sysctls;
  platform::process_runner runner;
  platform::firewall fw(runner, sysctls);
  outcome seen;
  std::string switch_after_ensure;
  host.enter([&] {
    seen.note(fw.ensure_overlay_subnet_rules(cluster));
    seen.note(fw.ensure_member_isolation("backend", ip("10.200.1.5"), {}, node, cluster));
    seen.note(fw.ensure_member_isolation("backend", ip("10.200.1.6"), {ip("10.200.1.5")}, node,
                                         cluster));
    auto value = sysctls.read("net.bridge.bridge-nf-call-iptables");
    switch_after_ensure = value ? trimmed(*value) : value.error_message();
  });
  CHECK(seen.errors.empty());

  // Across bridges (routed, through FORWARD): always fenced.
  CHECK(reaches(c, "10.200.2.5"));  // non-members pass the DROP policy via the allow rules
  CHECK_FALSE(reaches(a, "10.200.2.5"));
  CHECK_FALSE(reaches(d, "10.200.1.6"));
  CHECK(reaches(a, "10.200.1.1")); // the node stays reachable
  if (bridge_netfilter) {
    CHECK(switch_after_ensure == "1");
    CHECK(reaches(a, "10.200.1.6")); // members of one network
    CHECK(reaches(b, "10.200.1.5"));
    CHECK_FALSE(reaches(a, "10.200.1.7")); // same bridge, not a member
    CHECK_FALSE(reaches(c, "10.200.1.6"));
  } else {
    WARN("br_netfilter is not available: same-bridge fencing not exercised");
  }

  host.enter([&] {
    fw.remove_member_isolation("backend", ip("10.200.1.5"), {ip("10.200.1.6")}, node, cluster);
  });
  CHECK(reaches(a, "10.200.2.5")); // A is no longer fenced
  CHECK_FALSE(reaches(d, "10.200.1.6"));

  std::string switch_after_teardown;
  host.enter([&] {
    fw.remove_overlay_subnet_rules();
    fw.remove_overlay_isolation();
    auto value = sysctls.read("net.bridge.bridge-nf-call-iptables");
    switch_after_teardown = value ? trimmed(*value) : value.error_message();
  });
  CHECK_FALSE(contains(host.output_of("iptables-save"), "zlayer"));
  if (bridge_netfilter)
    CHECK(switch_after_teardown == "0");
  CHECK(machine_rules() == machine_before);
  CHECK(read_file("/proc/sys/net/bridge/bridge-nf-call-iptables") == machine_bridge_switch);
}

TEST_CASE("firewall: the br_netfilter switch is restored by the object that set it",
          "[integration][root][firewall]") {
  if (!can_run_iptables())
    return;
  network_namespace ns("fwbr");
  REQUIRE(ns.ok());
  if (!bridge_sysctls_are_per_namespace()
      || ns.run("test -e /proc/sys/net/bridge/bridge-nf-call-iptables") != 0) {
    WARN("skipped: br_netfilter is not available or not per namespace on this kernel");
    return;
  }
  const auto machine_switch = read_file("/proc/sys/net/bridge/bridge-nf-call-iptables");
  REQUIRE(ns.run("echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables") == 0);
  std::string during, after;
  ns.enter([&] {
    platform::process_runner runner;
    platform::proc_sysctl sysctls;
    platform::firewall fw(runner, sysctls);
    CHECK(fw.ensure_member_isolation("n", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                     *cidr::parse("10.200.0.0/16"))
            .ok());
    during = trimmed(*sysctls.read("net.bridge.bridge-nf-call-iptables"));
    fw.remove_overlay_isolation();
    after = trimmed(*sysctls.read("net.bridge.bridge-nf-call-iptables"));
  });
  CHECK(during == "1");
  CHECK(after == "0");
  CHECK(read_file("/proc/sys/net/bridge/bridge-nf-call-iptables") == machine_switch);
}
