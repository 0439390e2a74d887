// Containers (processes in namespaces of their own) attached to a service
// bridge by an overlayd running in a node namespace (root only).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "overlay_fixtures.hpp"
#include "netns.hpp"

using overlayd::app::client_connection;
using overlayd::testing::daemon_process;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;
using overlayd::testing::call;
using overlayd::testing::container;
using overlayd::testing::error_of;

namespace {

msg::attach_container attach_pid(std::uint32_t pid, const std::string& service,
                                 bool ephemeral = false) {
  return msg::attach_container{msg::linux_pid_handle{pid}, service, false, ephemeral, {}, {}, {}};
}

// What teardown must restore: links, addresses, routes, forwarding and the
// firewall's chains and rules (-S lists them the same whether or not
// iptables-nft has made the table yet).
std::string host_snapshot(const network_namespace& node) {
  return node.output_of("ip -o link show | cut -d: -f2; ip -o addr; ip route; "
                        "cat /proc/sys/net/ipv4/ip_forward; "
                        "for t in filter nat; do iptables -t $t -S; ip6tables -t $t -S; done");
}

} // namespace

TEST_CASE("containers attach to a service bridge and reach each other", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace node("attach-node");
  REQUIRE(node.ok());
  const auto before = host_snapshot(node);
  temp_dir dir;
  daemon_process daemon(dir.path(), {}, &node);
  REQUIRE(daemon.started());
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  container c1("attach-c1");
  container c2("attach-c2");
  REQUIRE(c1.pid != 0);
  REQUIRE(c2.pid != 0);

  auto web = call(*conn, msg::setup_service_overlay{"web", msg::overlay_mode::automatic});
  REQUIRE(std::holds_alternative<msg::service_overlay_info>(web));
  const auto bridge = std::get<msg::service_overlay_info>(web).name;
  CHECK(bridge == "zl---web-b");
  CHECK(node.run("ip -o addr show dev " + bridge + " | grep -q 10.200.187.129/26") == 0);

  auto a1 = call(*conn, attach_pid(c1.pid, "web"));
  REQUIRE(std::holds_alternative<msg::attach_result>(a1));
  CHECK(std::get<msg::attach_result>(a1).ip.to_string() == "10.200.187.130");
  auto a2 = call(*conn, attach_pid(c2.pid, "web"));
  REQUIRE(std::holds_alternative<msg::attach_result>(a2));
  CHECK(std::get<msg::attach_result>(a2).ip.to_string() == "10.200.187.131");

  CHECK(c1.ns.run("ip -o addr show dev eth0 | grep -q 10.200.187.130/26") == 0);
  CHECK(c1.ns.run("ip route | grep -q \"default via 10.200.187.129 dev eth0\"") == 0);
  CHECK(c1.ns.run("ping -c 2 -i 0.2 -W 2 10.200.187.131 >/dev/null") == 0);
  CHECK(c2.ns.run("ping -c 1 -W 2 10.200.187.129 >/dev/null") == 0);

  // Bad attaches change nothing.
  CHECK(error_of(call(*conn, attach_pid(c1.pid, "nope")))
        == "no service bridge for service nope; call setup_service_overlay() first");
  CHECK(error_of(call(*conn, attach_pid(999999, "web")))
          .rfind("overlay engine error: Failed to open /proc/999999/ns/net: ", 0)
        == 0);
  CHECK(node.run("ip link show veth-999999-s >/dev/null 2>&1") != 0);

  // Detach removes the veth and frees the address: it is handed out again.
  CHECK(std::holds_alternative<msg::ok_result>(
    call(*conn, msg::detach_container{msg::linux_pid_handle{c1.pid}})));
  CHECK(node.run("ip link show veth-" + std::to_string(c1.pid) + "-s >/dev/null 2>&1") != 0);
  CHECK(c1.ns.run("ip link show eth0 >/dev/null 2>&1") != 0);
  auto again = call(*conn, attach_pid(c1.pid, "web"));
  REQUIRE(std::holds_alternative<msg::attach_result>(again));
  CHECK(std::get<msg::attach_result>(again).ip.to_string() == "10.200.187.130");

  // A Shared-mode service's containers go on the node-wide shared bridge.
  auto lobby = call(*conn, msg::setup_service_overlay{"lobby", msg::overlay_mode::shared});
  REQUIRE(std::holds_alternative<msg::service_overlay_info>(lobby));
  CHECK(std::get<msg::service_overlay_info>(lobby).name == "zl---shared-sh");
  container c3("attach-c3");
  auto a3 = call(*conn, attach_pid(c3.pid, "lobby"));
  REQUIRE(std::holds_alternative<msg::attach_result>(a3));
  CHECK(std::get<msg::attach_result>(a3).ip.to_string() == "10.200.90.66");
  CHECK(c3.ns.run("ip route | grep -q \"default via 10.200.90.65 dev eth0\"") == 0);

  // The global teardown leaves the node as it was.
  CHECK(std::holds_alternative<msg::ok_result>(call(*conn, msg::teardown_global_overlay{})));
  CHECK(host_snapshot(node) == before);
}

TEST_CASE("join_global adds eth1; isolation fences members; teardown restores the host",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace node("iso-node");
  REQUIRE(node.ok());
  REQUIRE(node.run("iptables -P FORWARD DROP") == 0); // a strict host, as with UFW
  const auto before = host_snapshot(node);
  temp_dir dir;
  daemon_process daemon(dir.path(), {}, &node);
  REQUIRE(daemon.started());
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  REQUIRE(std::holds_alternative<msg::bridge_name>(call(
    *conn, msg::setup_global_overlay{"iso", "n1", "10.200.0.0/16", "10.200.0.0/24", 51820,
                                     false, {}, {}})));
  for (const char* service : {"a", "b"})
    REQUIRE(std::holds_alternative<msg::service_overlay_info>(
      call(*conn, msg::setup_service_overlay{service, msg::overlay_mode::automatic})));

  // member (service a) and peer (service b) share network "red"; outsider (b) does not.
  container member("iso-m");
  container peer("iso-p");
  container outsider("iso-o");
  auto attach = [&](const container& c, const char* service, std::optional<std::string> net,
                    bool join_global) {
    auto r = call(*conn, msg::attach_container{msg::linux_pid_handle{c.pid}, service,
                                               join_global, false, net, {}, {}});
    REQUIRE(std::holds_alternative<msg::attach_result>(r));
    return std::get<msg::attach_result>(r).ip.to_string();
  };
  auto member_ip = attach(member, "a", std::string("red"), true);
  auto peer_ip = attach(peer, "b", std::string("red"), false);
  auto outsider_ip = attach(outsider, "b", std::nullopt, false);

  // eth1: a node-slice address, routed by a host /32 on the node.
  CHECK(member.ns.run("ip -o addr show dev eth1 | grep -q \"inet 10.200.0.2/24\"") == 0);
  CHECK(node.run("ip route | grep -q \"10.200.0.2 dev veth-" + std::to_string(member.pid)
                 + "-g\"") == 0);
  CHECK(node.run("ping -c 1 -W 2 10.200.0.2 >/dev/null") == 0);

  // Across bridges (through FORWARD): members reach members, not others.
  CHECK(member.ns.run("ping -c 1 -W 2 " + peer_ip + " >/dev/null") == 0);
  CHECK(member.ns.run("ping -c 1 -W 1 " + outsider_ip + " >/dev/null") != 0);
  CHECK(outsider.ns.run("ping -c 1 -W 1 " + member_ip + " >/dev/null") != 0);

  // Detaching the member drops its fence; the teardown restores everything.
  CHECK(std::holds_alternative<msg::ok_result>(
    call(*conn, msg::detach_container{msg::linux_pid_handle{member.pid}})));
  CHECK(node.run("iptables -S ZLAYER-OVERLAY-ISO | grep -q " + member_ip) != 0);
  CHECK(std::holds_alternative<msg::ok_result>(call(*conn, msg::teardown_global_overlay{})));
  CHECK(host_snapshot(node) == before);
}

TEST_CASE("the last ephemeral container out takes its service down", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace node("ephem-node");
  REQUIRE(node.ok());
  temp_dir dir;
  daemon_process daemon(dir.path(), {}, &node);
  REQUIRE(daemon.started());
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  container c("ephem-c");
  auto job = call(*conn, msg::setup_service_overlay{"job", msg::overlay_mode::automatic});
  const auto bridge = std::get<msg::service_overlay_info>(job).name;
  REQUIRE(std::holds_alternative<msg::attach_result>(call(*conn, attach_pid(c.pid, "job", true))));
  CHECK(std::holds_alternative<msg::ok_result>(
    call(*conn, msg::detach_container{msg::linux_pid_handle{c.pid}})));
  CHECK(node.run("ip link show " + bridge + " >/dev/null 2>&1") != 0);
  CHECK(error_of(call(*conn, attach_pid(c.pid, "job")))
        == "no service bridge for service job; call setup_service_overlay() first");
}

TEST_CASE("prune reclaims orphan bridges only", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace node("prune-node");
  REQUIRE(node.ok());
  temp_dir dir;
  daemon_process daemon(dir.path(), {}, &node);
  REQUIRE(daemon.started());
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  auto bridge_of = [&](const char* service, msg::overlay_mode mode) {
    auto r = call(*conn, msg::setup_service_overlay{service, mode});
    REQUIRE(std::holds_alternative<msg::service_overlay_info>(r));
    return std::get<msg::service_overlay_info>(r).name;
  };
  auto keep = bridge_of("keep", msg::overlay_mode::automatic);
  auto gone = bridge_of("gone", msg::overlay_mode::automatic);
  auto busy = bridge_of("busy", msg::overlay_mode::automatic);
  auto shared = bridge_of("lobby", msg::overlay_mode::shared);
  container c("prune-c");
  REQUIRE(std::holds_alternative<msg::attach_result>(call(*conn, attach_pid(c.pid, "busy"))));
  // Left by an earlier run, and one that is no service bridge at all.
  REQUIRE(node.run("ip link add zl-1ca4568944-b type bridge && "
                   "ip link add zl-not-a-bridge type bridge") == 0);

  auto r = call(*conn, msg::prune_orphan_bridges{{keep}});
  REQUIRE(std::holds_alternative<msg::pruned_bridges>(r));
  auto reclaimed = std::get<msg::pruned_bridges>(r).reclaimed;
  std::sort(reclaimed.begin(), reclaimed.end());
  std::vector<std::string> expected{gone, "zl-1ca4568944-b"};
  std::sort(expected.begin(), expected.end());
  CHECK(reclaimed == expected);
  for (const auto& name : {keep, busy, shared, std::string("zl-not-a-bridge")})
    CHECK(node.run("ip link show " + name + " >/dev/null 2>&1") == 0);
  // The reclaimed service is set up afresh, on the same subnet.
  CHECK(bridge_of("gone", msg::overlay_mode::automatic) == gone);
  CHECK(node.run("ip link show " + gone + " >/dev/null 2>&1") == 0);
}
