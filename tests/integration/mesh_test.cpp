// Twelve overlayd nodes in namespaces on one switch, each peered with all
// others through the socket contract as the main daemon does it, a
// container on every node pinging every other container; then one node is
// killed and started again, and the mesh converges once the others learn
// its new key (root only; prints how long that took).
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/base/cidr.hpp"
#include "overlay_fixtures.hpp"

using overlayd::testing::attach;
using overlayd::testing::call;
using overlayd::testing::cluster_member;
using overlayd::testing::container;
using overlayd::testing::daemon_process;
using overlayd::testing::join;
using overlayd::testing::network_namespace;
using node = overlayd::testing::overlay_node;
namespace msg = overlayd::msg;

namespace {

constexpr int node_count = 12;

struct mesh_node {
  explicit mesh_node(int i)
      : index(i), host(("mesh" + std::to_string(i)).c_str()),
        guest(("mesh-c" + std::to_string(i)).c_str()) {}

  int index;
  node host;
  container guest;
  std::unique_ptr<daemon_process> restarted; // after a kill, the daemon that replaced it
  std::unique_ptr<cluster_member> member;
  overlayd::net::ip_address guest_ip;

  std::string underlay() const { return "192.168.90." + std::to_string(index); }
  std::string slice() const { return "10.200." + std::to_string(index) + ".0/24"; }
};

// node i's up0 on the switch's bridge, 192.168.90.i/24.
bool plug_into(const network_namespace& sw, const mesh_node& n) {
  const std::string port = "p" + std::to_string(n.index);
  return n.host.ns.run("ip link add up0 type veth peer name " + port + " netns " + sw.name()) == 0
         && sw.run("ip link set " + port + " master br0 up") == 0
         && n.host.ns.run("ip addr add " + n.underlay() + "/24 dev up0 && ip link set up0 up")
              == 0;
}

void set_up(mesh_node& n) {
  n.member = std::make_unique<cluster_member>(join(n.host, static_cast<std::uint64_t>(n.index),
                                                   n.slice(), "mesh"));
}

// What the main daemon does when it learns of `other`: a peer with its
// slice, and the subnet its container lives in.
void introduce(mesh_node& to, const mesh_node& other) {
  REQUIRE(std::holds_alternative<msg::ok_result>(
    call(to.member->conn,
         msg::add_peer{msg::peer_spec{other.member->key, other.underlay() + ":51820",
                                      other.slice(), 0, {}},
                       msg::global_scope{}})));
  REQUIRE(std::holds_alternative<msg::ok_result>(call(
    to.member->conn, msg::add_allowed_ip{other.member->key,
                                         overlayd::net::cidr(other.guest_ip, 26).to_string(),
                                         msg::global_scope{}})));
}

// The containers `from` cannot ping.
std::vector<std::string> unreachable_from(const mesh_node& from,
                                          const std::vector<std::unique_ptr<mesh_node>>& all) {
  std::string targets;
  for (const auto& n : all)
    if (n.get() != &from)
      targets += " " + n->guest_ip.to_string();
  // Up to ten tries each: a first handshake lost under load is retried by
  // WireGuard after 5 s (REKEY_TIMEOUT), so one short ping may come too early.
  auto failed = from.guest.ns.output_of(
    "for ip in" + targets
    + "; do ok=0; for try in 1 2 3 4 5 6 7 8 9 10; do"
      " ping -c 1 -W 1 -q $ip >/dev/null 2>&1 && { ok=1; break; }; done;"
      " [ $ok = 1 ] || echo $ip; done");
  std::vector<std::string> out;
  for (std::size_t at = 0; at < failed.size();) {
    auto end = failed.find('\n', at);
    if (end == std::string::npos)
      end = failed.size();
    if (end > at)
      out.push_back(failed.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// Every container pings every other, all containers at once; the pairs
// that failed, as "from -> to".
std::vector<std::string> failed_pairs(const std::vector<std::unique_ptr<mesh_node>>& all) {
  std::vector<std::vector<std::string>> failures(all.size());
  std::vector<std::thread> pingers;
  for (std::size_t i = 0; i < all.size(); ++i)
    pingers.emplace_back([&, i] { failures[i] = unreachable_from(*all[i], all); });
  for (auto& t : pingers)
    t.join();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < all.size(); ++i)
    for (const auto& to : failures[i])
      out.push_back(all[i]->guest_ip.to_string() + " -> " + to);
  return out;
}

} // namespace

TEST_CASE("a mesh of twelve nodes: every container reaches every other, and again after a "
          "node restarts",
          "[integration][root][mesh]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace sw("mesh-sw");
  REQUIRE(sw.run("ip link add br0 type bridge && ip link set br0 up") == 0);
  std::vector<std::unique_ptr<mesh_node>> nodes;
  for (int i = 1; i <= node_count; ++i) {
    nodes.push_back(std::make_unique<mesh_node>(i));
    REQUIRE(nodes.back()->host.daemon.started());
    REQUIRE(plug_into(sw, *nodes.back()));
  }
  auto started = std::chrono::steady_clock::now();
  for (auto& n : nodes) {
    set_up(*n);
    n->guest_ip = attach(*n->member, n->guest);
  }
  for (auto& n : nodes)
    for (auto& other : nodes)
      if (other != n)
        introduce(*n, *other);
  auto failures = failed_pairs(nodes);
  std::printf("mesh of %d nodes: set up and peered, %zu container pairs pinged in %.1f s\n",
              node_count, nodes.size() * (nodes.size() - 1),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  CAPTURE(failures);
  REQUIRE(failures.empty());

  // The last node crashes and comes back with the same data dir; its
  // container stays plumbed, its new device has a new key, and the main
  // daemon's part is to tell everyone (and it) again.
  mesh_node& crashed = *nodes.back();
  auto killed_at = std::chrono::steady_clock::now();
  crashed.host.daemon.signal(SIGKILL);
  crashed.host.daemon.wait_exit(10);
  crashed.restarted =
    std::make_unique<daemon_process>(crashed.host.dir.path(), std::vector<std::string>{},
                                     &crashed.host.ns);
  REQUIRE(crashed.restarted->started());
  const std::string old_key = crashed.member->key;
  set_up(crashed);
  for (auto& n : nodes) {
    if (n.get() == &crashed)
      continue;
    REQUIRE(std::holds_alternative<msg::ok_result>(
      call(n->member->conn, msg::remove_peer{old_key, msg::global_scope{}})));
    introduce(*n, crashed);
    introduce(crashed, *n);
  }
  failures = failed_pairs(nodes);
  std::printf("mesh: node %d killed, restarted and converged again in %.1f s\n", crashed.index,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count());
  CAPTURE(failures);
  CHECK(failures.empty());
}
