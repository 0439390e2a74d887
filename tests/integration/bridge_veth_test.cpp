// platform/: bridges, veth pairs, a container's network namespace, routes,
// sysctls and the orphan-veth sweep (mechanics.md 4.3, 5, 8), made over
// netlink in namespaces the test creates (root only): "node" stands in for
// the host, "container" for a container's namespace. Nothing happens in the
// machine's own namespace: each case checks that its links and ip_forward
// are the same afterwards.
//
// Assertions inside node.enter(...) and run_in_netns(...) are CHECKs (a
// REQUIRE would throw on the inner thread and end the process before the
// namespaces are deleted); steps that later ones need return early instead.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "netns.hpp"
#include "platform/addresses.hpp"
#include "platform/bridge.hpp"
#include "platform/links.hpp"
#include "platform/netlink.hpp"
#include "platform/netns.hpp"
#include "platform/orphan_veth_sweep.hpp"
#include "platform/routes.hpp"
#include "platform/sysctl_access.hpp"
#include "platform/veth.hpp"
#include "support/files.hpp"

using overlayd::result;
using overlayd::net::cidr;
using overlayd::net::ip_address;
using overlayd::testing::network_namespace;
namespace platform = overlayd::platform;

namespace {

#define SKIP_UNLESS_ROOT()                                                                         \
  if (!overlayd::testing::root_or_skip("network namespaces"))                                      \
  return

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Logs the error of a failed step; true when it succeeded.
template <class R>
bool succeeded(const R& r) {
  if (!r.ok())
    FAIL_CHECK(r.error_message());
  return r.ok();
}

template <class R>
std::string error_of(const R& r) {
  return r.ok() ? std::string("(succeeded)") : r.error_message();
}

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

cidr prefix(const char* text) {
  return *cidr::parse(text);
}

bool has_link(const std::vector<platform::link_entry>& links, const std::string& name) {
  return std::any_of(links.begin(), links.end(),
                     [&](const platform::link_entry& l) { return l.name == name; });
}

std::vector<platform::link_entry> links_here() {
  auto links = platform::list_all_links();
  return links.ok() ? *links : std::vector<platform::link_entry>{};
}

// Standard output of a read-only command run where the test runs.
std::string output_of(const std::string& command) {
  return overlayd::testing::command_output(command + " 2>/dev/null");
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

ino_t inode_of_fd(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

std::string text_or_error(const result<std::string>& r) {
  return r.ok() ? *r : r.error_message();
}

// The machine's own namespace as the test found it: its links (by index
// and name, so even a leaked "eth0" would show) and its forwarding switch.
// Only read, from the test's main thread, which never enters a namespace.
struct root_namespace_snapshot {
  std::vector<platform::link_entry> links = links_here();
  std::string ip_forward = text_or_error(platform::proc_sysctl().read("net.ipv4.ip_forward"));
};

void check_root_namespace_unchanged(const root_namespace_snapshot& before) {
  root_namespace_snapshot after;
  CHECK_FALSE(before.links.empty());
  CHECK(after.links == before.links);
  CHECK(after.ip_forward == before.ip_forward);
}

// Tries a shell command a few times (a link that just came up may need a
// moment before the first packet gets through).
bool eventually(const network_namespace& ns, const std::string& command) {
  for (int attempt = 0; attempt < 5; ++attempt)
    if (ns.run(command) == 0)
      return true;
  return false;
}

} // namespace

TEST_CASE("bridge, veth pair and container namespace: a container reaches its gateway",
          "[integration][root]") {
  SKIP_UNLESS_ROOT();
  const root_namespace_snapshot root;
  {
    network_namespace node("node");
    network_namespace container("container");
    REQUIRE(node.ok());
    REQUIRE(container.ok());
    auto container_ns = platform::open_netns("/var/run/netns/" + container.name());
    REQUIRE(container_ns.ok());
    const int container_fd = container_ns->fd();

    const std::string bridge = "zl-test-b";
    const std::string pid = std::to_string(::getpid());
    const std::string host = "veth-" + pid + "-s";
    const std::string pending = "vc-" + pid + "-s";

    bool plumbed = false;
    node.enter([&] {
      if (!succeeded(platform::create_bridge(bridge)))
        return;
      CHECK(succeeded(platform::create_bridge(bridge))); // EEXIST counts as created

      // STP: on, then off as overlayd leaves it; sysfs seen from the node
      // namespace (ip netns exec mounts its own /sys) tells the truth.
      CHECK(succeeded(platform::set_bridge_stp(bridge, true)));
      CHECK(node.output_of("cat /sys/class/net/" + bridge + "/bridge/stp_state") != "0\n");
      CHECK(succeeded(platform::set_bridge_stp(bridge, false)));
      CHECK(node.output_of("cat /sys/class/net/" + bridge + "/bridge/stp_state") == "0\n");

      // A reused bridge may carry an old subnet: primary, secondary, IPv6.
      CHECK(succeeded(platform::add_address_strict(bridge, prefix("10.77.9.1/24"))));
      CHECK(succeeded(platform::add_address_strict(bridge, prefix("10.77.9.2/24"))));
      CHECK(succeeded(platform::add_address_strict(bridge, prefix("fd77::1/64"))));
      CHECK(succeeded(platform::flush_addresses(bridge)));
      CHECK_FALSE(contains(node.output_of("ip -o addr show dev " + bridge), "inet"));
      CHECK(succeeded(platform::flush_addresses(bridge))); // nothing left: fine

      if (!succeeded(platform::add_address_strict(bridge, prefix("10.77.0.1/24"))))
        return;
      CHECK(error_of(platform::add_address_strict(bridge, prefix("10.77.0.1/24")))
            == "add_address_strict(zl-test-b 10.77.0.1/24): Object exists");
      if (!succeeded(platform::set_link_up(bridge)))
        return;

      if (!succeeded(platform::create_veth_pair(host, pending)))
        return;
      CHECK(error_of(platform::create_veth_pair(host, pending))
            == "veth pair already exists: host=" + host + " peer=" + pending);
      CHECK(error_of(platform::create_veth_pair(host, "vc-other"))
            == "veth pair already exists: host=" + host + " peer=vc-other");
      CHECK_FALSE(platform::link_exists("vc-other"));

      if (!succeeded(platform::add_link_to_bridge(host, bridge)))
        return;
      if (!succeeded(platform::set_link_up(host)))
        return;
      if (!succeeded(platform::move_link_into_netns_and_rename(pending, container_fd, "eth0")))
        return;
      CHECK_FALSE(platform::link_exists(pending));
      CHECK_FALSE(platform::link_exists("eth0"));
      CHECK(contains(node.output_of("ip -o link show " + host), "master " + bridge));
      plumbed = true;
    });
    REQUIRE(plumbed);

    // Inside the container, on run_in_netns's own thread; this thread
    // stays where it is.
    const ino_t caller_ns = inode_of("/proc/thread-self/ns/net");
    const auto caller_thread = std::this_thread::get_id();
    ino_t inside_ns = 0;
    std::thread::id inside_thread;
    std::vector<platform::link_entry> container_links;
    auto inside = platform::run_in_netns(container_fd, [&]() -> result<void> {
      inside_ns = inode_of("/proc/thread-self/ns/net");
      inside_thread = std::this_thread::get_id();
      if (auto r = platform::add_address_strict("eth0", prefix("10.77.0.2/24")); !r)
        return r;
      if (auto r = platform::set_link_up("eth0"); !r)
        return r;
      if (auto r = platform::set_link_up("lo"); !r)
        return r;
      if (auto r = platform::add_default_route_via_gateway(ip("10.77.0.1")); !r)
        return r;
      container_links = links_here();
      return {};
    });
    REQUIRE(succeeded(inside));
    CHECK(inside_ns == inode_of("/var/run/netns/" + container.name()));
    CHECK(inside_ns != caller_ns);
    CHECK(inside_thread != caller_thread);
    CHECK(inode_of("/proc/thread-self/ns/net") == caller_ns);
    CHECK(has_link(container_links, "eth0"));
    CHECK(has_link(container_links, "lo"));
    CHECK_FALSE(has_link(container_links, pending));

    CHECK(contains(container.output_of("ip -o addr show dev eth0"), "inet 10.77.0.2/24"));
    CHECK(contains(container.output_of("ip route show default"), "default via 10.77.0.1 dev eth0"));
    CHECK(contains(container.output_of("ip -o link show eth0"), ",UP"));

    // Again: the strict primitives refuse what is already there.
    auto again = platform::run_in_netns(container_fd, [&]() -> result<void> {
      CHECK(error_of(platform::add_address_strict("eth0", prefix("10.77.0.2/24")))
            == "add_address_strict(eth0 10.77.0.2/24): Object exists");
      CHECK(error_of(platform::add_default_route_via_gateway(ip("10.77.0.1")))
            == "add_default_route_via_gateway(10.77.0.1): Object exists");
      return {};
    });
    CHECK(succeeded(again));

    CHECK(eventually(container, "ping -c 1 -W 2 10.77.0.1 >/dev/null"));
    CHECK(eventually(node, "ping -c 1 -W 2 10.77.0.2 >/dev/null"));

    node.enter([&] {
      CHECK(platform::bridge_member_count(bridge) == 1);
      CHECK(platform::bridge_member_count("zl-nope-b") == 0); // missing
      CHECK(platform::bridge_member_count(host) == 0);        // not a bridge
      CHECK(platform::bridge_member_count("lo") == 0);

      auto links = platform::list_all_links();
      if (!succeeded(links))
        return;
      CHECK(has_link(*links, bridge));
      CHECK(has_link(*links, host));
      CHECK_FALSE(has_link(*links, "eth0"));
      CHECK_FALSE(links->empty());
      if (!links->empty())
        CHECK(links->front() == platform::link_entry{1, "lo"}); // kernel order: lo first

      // A second container end cannot take a name the container uses. The
      // kernel moves first and renames after, so the failed call leaves the
      // end inside the container under its temporary name; deleting the
      // host end (attach's cleanup) takes it away wherever it is.
      const std::string host2 = "veth-" + pid + "-x", pending2 = "vc-" + pid + "-x";
      if (!succeeded(platform::create_veth_pair(host2, pending2)))
        return;
      CHECK(error_of(platform::move_link_into_netns_and_rename(pending2, container_fd, "eth0"))
            == "move_link_into_netns_and_rename(" + pending2 + ", eth0): Object exists");
      CHECK_FALSE(platform::link_exists(pending2));
      CHECK_FALSE(container.output_of("ip -o link show dev " + pending2).empty());
      CHECK(succeeded(platform::delete_link(host2)));
      CHECK(container.output_of("ip -o link show dev " + pending2).empty());

      // Host end gone: the bridge is empty (the ephemeral last-leaver test).
      CHECK(succeeded(platform::delete_link(host)));
      CHECK(succeeded(platform::delete_link(host))); // missing counts as deleted
      CHECK(platform::bridge_member_count(bridge) == 0);
      CHECK(succeeded(platform::delete_link(bridge)));
      CHECK_FALSE(platform::link_exists(bridge));
    });
    CHECK(container.output_of("ip -o link show dev eth0").empty()); // went with its pair
  }
  check_root_namespace_unchanged(root);
}

TEST_CASE("routes: a bridgeless container end gets a host /32, replaced and removed",
          "[integration][root]") {
  SKIP_UNLESS_ROOT();
  const root_namespace_snapshot root;
  {
    network_namespace node("node");
    network_namespace container("container");
    REQUIRE(node.ok());
    REQUIRE(container.ok());
    auto container_ns = platform::open_netns("/var/run/netns/" + container.name());
    REQUIRE(container_ns.ok());
    const int container_fd = container_ns->fd();
    const std::string pid = std::to_string(::getpid());
    const std::string host = "veth-" + pid + "-g";
    const std::string pending = "vc-" + pid + "-g";

    bool plumbed = false;
    node.enter([&] {
      // The node's overlay address stands on lo here (on the global TUN in
      // the daemon); the host route names it as the source.
      if (!succeeded(platform::add_address_strict("lo", prefix("10.99.0.1/32")))
          || !succeeded(platform::create_veth_pair(host, pending))
          || !succeeded(platform::move_link_into_netns_and_rename(pending, container_fd, "eth1"))
          || !succeeded(platform::set_link_up(host)))
        return;
      plumbed = true;
    });
    REQUIRE(plumbed);
    auto inside = platform::run_in_netns(container_fd, [&]() -> result<void> {
      if (auto r = platform::add_address_strict("eth1", prefix("10.88.0.5/24")); !r)
        return r;
      if (auto r = platform::set_link_up("eth1"); !r)
        return r;
      // The way back to the node (overlayd adds no route for eth1).
      return platform::replace_route_via_dev(ip("10.99.0.1"), 32, "eth1", std::nullopt);
    });
    REQUIRE(succeeded(inside));

    node.enter([&] {
      const auto dest = ip("10.88.0.5");
      if (!succeeded(platform::replace_route_via_dev(dest, 32, host, ip("10.99.0.1"))))
        return;
      CHECK(contains(node.output_of("ip route show 10.88.0.5"),
                     "10.88.0.5 dev " + host + " scope link src 10.99.0.1"));
      CHECK(eventually(node, "ping -c 1 -W 2 10.88.0.5 >/dev/null"));

      // Replace: the same route again, then without a source.
      CHECK(succeeded(platform::replace_route_via_dev(dest, 32, host, ip("10.99.0.1"))));
      CHECK(succeeded(platform::replace_route_via_dev(dest, 32, host, std::nullopt)));
      const auto shown = node.output_of("ip route show 10.88.0.5");
      CHECK(contains(shown, "10.88.0.5 dev " + host + " scope link"));
      CHECK_FALSE(contains(shown, "src"));
      CHECK(std::count(shown.begin(), shown.end(), '\n') == 1);

      // Host bits beyond the prefix are cleared, as the kernel wants.
      CHECK(succeeded(platform::replace_route_via_dev(ip("10.66.1.9"), 24, host, std::nullopt)));
      CHECK(contains(node.output_of("ip route show 10.66.1.0/24"), "10.66.1.0/24 dev " + host));
      CHECK(succeeded(platform::delete_route_via_dev(ip("10.66.1.9"), 24, host)));
      CHECK(node.output_of("ip route show 10.66.1.0/24").empty());

      // IPv6 works the same way.
      CHECK(succeeded(platform::replace_route_via_dev(ip("fd88::5"), 128, host, std::nullopt)));
      CHECK(contains(node.output_of("ip -6 route show fd88::5"), "fd88::5 dev " + host));
      CHECK(succeeded(platform::delete_route_via_dev(ip("fd88::5"), 128, host)));
      CHECK(node.output_of("ip -6 route show fd88::5").empty());

      // Delete, twice; a missing device counts as removed too.
      CHECK(succeeded(platform::delete_route_via_dev(dest, 32, host)));
      CHECK(node.output_of("ip route show 10.88.0.5").empty());
      CHECK(succeeded(platform::delete_route_via_dev(dest, 32, host)));
      CHECK(succeeded(platform::delete_route_via_dev(dest, 32, "zl-nope0")));

      // A route made outside overlayd (other protocol) is still found.
      CHECK(node.run("ip route add 10.88.0.6/32 dev " + host + " proto static") == 0);
      CHECK(succeeded(platform::delete_route_via_dev(ip("10.88.0.6"), 32, host)));
      CHECK(node.output_of("ip route show 10.88.0.6").empty());

      // Family mismatch: the spec's text, before any netlink (even for a
      // device that does not exist).
      CHECK(error_of(platform::replace_route_via_dev(dest, 32, host, ip("fd00::1")))
            == "address family mismatch: dest=10.88.0.5 src=fd00::1");
      CHECK(error_of(platform::replace_route_via_dev(ip("fd88::5"), 128, "zl-nope0",
                                                     ip("10.99.0.1")))
            == "address family mismatch: dest=fd88::5 src=10.99.0.1");
      CHECK(node.output_of("ip route show 10.88.0.5").empty());

      CHECK(error_of(platform::replace_route_via_dev(dest, 32, "zl-nope0", std::nullopt))
            == "replace_route_via_dev(10.88.0.5/32 dev zl-nope0): link 'zl-nope0' not found "
               "in current netns");
      CHECK(error_of(platform::replace_route_via_dev(dest, 33, host, std::nullopt))
            == "replace_route_via_dev(10.88.0.5/33 dev " + host + "): invalid prefix length 33");
      // No gateway reachable: the kernel's refusal, named.
      CHECK(contains(error_of(platform::add_default_route_via_gateway(ip("192.0.2.1"))),
                     "add_default_route_via_gateway(192.0.2.1): "));
    });
  }
  check_root_namespace_unchanged(root);
}

TEST_CASE("sysctl: read and written in the node namespace only", "[integration][root]") {
  SKIP_UNLESS_ROOT();
  const root_namespace_snapshot root;
  platform::proc_sysctl sysctl;
  {
    network_namespace node("node");
    REQUIRE(node.ok());
    node.enter([&] {
      auto initial = sysctl.read("net.ipv4.ip_forward");
      if (!succeeded(initial))
        return;
      CHECK((*initial == "0\n" || *initial == "1\n")); // the newline stays
      CHECK(succeeded(sysctl.write("net.ipv4.ip_forward", "1")));
      CHECK(text_or_error(sysctl.read("net.ipv4.ip_forward")) == "1\n");
      CHECK(node.output_of("cat /proc/sys/net/ipv4/ip_forward") == "1\n");
      // The snapshot is restored verbatim, newline and all.
      CHECK(succeeded(sysctl.write("net.ipv4.ip_forward", *initial)));
      CHECK(text_or_error(sysctl.read("net.ipv4.ip_forward")) == *initial);

      // Per-device IPv6 forwarding, as an IPv6 attach sets it.
      CHECK(succeeded(sysctl.write("net.ipv6.conf.lo.forwarding", "1")));
      CHECK(node.output_of("cat /proc/sys/net/ipv6/conf/lo/forwarding") == "1\n");
      // A device whose name holds a dot, in the slash form.
      if (succeeded(platform::create_veth_pair("dot.100", "dot-peer"))) {
        CHECK(succeeded(sysctl.write("net/ipv6/conf/dot.100/forwarding", "1")));
        CHECK(node.output_of("cat /proc/sys/net/ipv6/conf/dot.100/forwarding") == "1\n");
      }

      CHECK(error_of(sysctl.write("net.ipv4.no_such_key", "1"))
            == "write_sysctl(net.ipv4.no_such_key): No such file or directory");
      CHECK(error_of(sysctl.read("net.ipv6.conf.zl-nope0.forwarding"))
            == "read_sysctl(net.ipv6.conf.zl-nope0.forwarding): No such file or directory");
      CHECK(contains(error_of(sysctl.write("net.ipv4.ip_forward", "x")),
                     "write_sysctl(net.ipv4.ip_forward): "));
    });
  }
  check_root_namespace_unchanged(root);
}

TEST_CASE("orphan veth sweep: ends of gone processes are deleted, others kept",
          "[integration][root]") {
  SKIP_UNLESS_ROOT();
  const root_namespace_snapshot root;
  {
    network_namespace node("node");
    REQUIRE(node.ok());
    const std::string pid = std::to_string(::getpid());
    node.enter([&] {
      // 99999999 is above any pid_max (2^22): never a live process.
      if (!succeeded(platform::create_veth_pair("veth-99999999-s", "vc-99999999-s"))
          || !succeeded(platform::create_veth_pair("vc-99999998-g", "keep-peer"))
          || !succeeded(platform::create_veth_pair("veth-" + pid + "-s", "vc-" + pid + "-s"))
          || !succeeded(platform::create_veth_pair("veth-abc-s", "peer-abc")))
        return;
      auto swept = platform::sweep_orphan_veths();
      std::sort(swept.begin(), swept.end()); // (the sweep goes in the kernel's order)
      CHECK(swept
            == std::vector<std::string>{"vc-99999998-g", "vc-99999999-s", "veth-99999999-s"});
      const auto links = links_here();
      CHECK_FALSE(has_link(links, "veth-99999999-s"));
      CHECK_FALSE(has_link(links, "vc-99999999-s"));
      CHECK_FALSE(has_link(links, "vc-99999998-g"));
      CHECK_FALSE(has_link(links, "keep-peer")); // went with its pair
      CHECK(has_link(links, "veth-" + pid + "-s"));
      CHECK(has_link(links, "vc-" + pid + "-s"));
      CHECK(has_link(links, "veth-abc-s"));
      CHECK(has_link(links, "peer-abc"));
      CHECK(platform::sweep_orphan_veths().empty()); // nothing left to do

      // With another liveness test: this process counts as gone.
      const auto gone = static_cast<std::uint32_t>(::getpid());
      auto deleted = platform::sweep_orphan_veths([&](std::uint32_t p) { return p != gone; });
      std::sort(deleted.begin(), deleted.end());
      CHECK(deleted == std::vector<std::string>{"vc-" + pid + "-s", "veth-" + pid + "-s"});
      CHECK_FALSE(platform::link_exists("veth-" + pid + "-s"));
      CHECK(platform::link_exists("veth-abc-s"));
    });
  }
  check_root_namespace_unchanged(root);
}

TEST_CASE("netns: a container's namespace by pid; a dead pid; the work thread",
          "[integration][root]") {
  SKIP_UNLESS_ROOT();
  const root_namespace_snapshot root;
  {
    network_namespace container("container");
    REQUIRE(container.ok());
    const std::string ns_file = "/var/run/netns/" + container.name();

    // A process living in the container namespace stands in for the
    // container; `ip netns pids` finds it.
    REQUIRE(container.run("sleep 30 >/dev/null 2>&1 &") == 0);
    std::string pids;
    for (int attempt = 0; attempt < 50 && pids.empty(); ++attempt) {
      pids = output_of("ip netns pids " + container.name());
      if (pids.empty())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE_FALSE(pids.empty());
    const auto pid = static_cast<std::uint32_t>(std::stoul(pids));

    {
      auto ns = platform::open_netns_of_pid(pid);
      REQUIRE(succeeded(ns));
      CHECK(inode_of_fd(ns->fd()) == inode_of(ns_file));
      std::vector<platform::link_entry> inside;
      CHECK(succeeded(platform::run_in_netns(ns->fd(), [&]() -> result<void> {
        inside = links_here();
        return {};
      })));
      CHECK(inside == std::vector<platform::link_entry>{{1, "lo"}}); // a fresh namespace
    }

    // The process dies: its namespace can no longer be opened by pid, with
    // the text the coordinator answers (zombie or reaped: both say ENOENT).
    REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
    std::string dead;
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto ns = platform::open_netns_of_pid(pid);
      if (!ns.ok()) {
        dead = ns.error_message();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(dead == "Failed to open /proc/" + std::to_string(pid)
                    + "/ns/net: No such file or directory (os error 2)");
    CHECK(error_of(platform::open_netns_of_pid(99999999))
          == "Failed to open /proc/99999999/ns/net: No such file or directory (os error 2)");
    CHECK(error_of(platform::open_netns("/var/run/netns/ovd-no-such-ns"))
          == "open_netns(/var/run/netns/ovd-no-such-ns): No such file or directory");

    // Not a namespace: the thread cannot enter, and the work never runs.
    auto not_a_namespace = platform::open_netns("/dev/null");
    REQUIRE(succeeded(not_a_namespace));
    bool ran = false;
    auto refused = platform::run_in_netns(not_a_namespace->fd(), [&]() -> result<void> {
      ran = true;
      return {};
    });
    CHECK_FALSE(ran);
    CHECK(error_of(refused)
          == "run_in_netns(fd " + std::to_string(not_a_namespace->fd())
               + "): setns: Invalid argument");

    // The work's own error is the answer; an exception becomes one.
    auto by_name = platform::open_netns(ns_file);
    REQUIRE(succeeded(by_name));
    CHECK(error_of(platform::run_in_netns(by_name->fd(), [] {
            return result<void>(overlayd::make_error("inside: no"));
          }))
          == "inside: no");
    CHECK(error_of(platform::run_in_netns(by_name->fd(), []() -> result<void> {
            throw std::runtime_error("boom");
          }))
          == "run_in_netns(fd " + std::to_string(by_name->fd()) + "): task failed: boom");
  }
  check_root_namespace_unchanged(root);
}

TEST_CASE("host primitives: missing links and bad names give named errors",
          "[integration][root]") {
  SKIP_UNLESS_ROOT();
  const root_namespace_snapshot root;
  {
    network_namespace node("node");
    network_namespace container("container");
    REQUIRE(node.ok());
    REQUIRE(container.ok());
    auto container_ns = platform::open_netns("/var/run/netns/" + container.name());
    REQUIRE(container_ns.ok());
    const int container_fd = container_ns->fd();
    node.enter([&] {
      const std::string nope = "zl-nope0";
      const std::string missing = "link 'zl-nope0' not found in current netns";
      CHECK(error_of(platform::set_bridge_stp(nope, false))
            == "set_bridge_stp(zl-nope0): " + missing);
      CHECK(error_of(platform::flush_addresses(nope)) == "flush_addresses(zl-nope0): " + missing);
      CHECK(error_of(platform::add_address_strict(nope, prefix("10.1.2.3/24")))
            == "add_address_strict(zl-nope0 10.1.2.3/24): " + missing);
      CHECK(error_of(platform::move_link_into_netns_and_rename(nope, container_fd, "eth0"))
            == "move_link_into_netns_and_rename(zl-nope0, eth0): " + missing);

      if (!succeeded(platform::create_bridge("zl-err-b"))
          || !succeeded(platform::create_veth_pair("veth-1-e", "vc-1-e")))
        return;
      CHECK(error_of(platform::add_link_to_bridge(nope, "zl-err-b"))
            == "add_link_to_bridge(zl-nope0, zl-err-b): " + missing);
      CHECK(error_of(platform::add_link_to_bridge("veth-1-e", nope))
            == "add_link_to_bridge(veth-1-e, zl-nope0): " + missing);
      CHECK(error_of(platform::set_bridge_stp("veth-1-e", false))
            == "set_bridge_stp(veth-1-e): link 'veth-1-e' is not a bridge");
      // A non-bridge as master: the kernel's refusal, named.
      CHECK(contains(error_of(platform::add_link_to_bridge("vc-1-e", "veth-1-e")),
                     "add_link_to_bridge(vc-1-e, veth-1-e): "));

      // Names the kernel cannot hold are refused, not truncated.
      CHECK(error_of(platform::create_bridge("zl-sixteen-chars"))
            == "create_bridge(zl-sixteen-chars): invalid link name 'zl-sixteen-chars' "
               "(1 to 15 bytes)");
      CHECK_FALSE(platform::link_exists("zl-sixteen-char"));
      CHECK(error_of(platform::create_veth_pair("veth-12345678901", "vc-1"))
            == "create_veth_pair(veth-12345678901, vc-1): invalid link name "
               "'veth-12345678901' (1 to 15 bytes)");
      CHECK(contains(error_of(platform::move_link_into_netns_and_rename("vc-1-e", container_fd,
                                                                        "a-name-too-long-x")),
                     "invalid link name 'a-name-too-long-x'"));
      CHECK(platform::link_exists("vc-1-e")); // not moved
      CHECK(error_of(platform::create_bridge("")) == "create_bridge(): invalid link name '' "
                                                     "(1 to 15 bytes)");
    });
    CHECK(container.output_of("ip -o link show").find("vc-1-e") == std::string::npos);
  }
  check_root_namespace_unchanged(root);
}
