// Two nodes, each a namespace with its own overlayd, joined by a veth; the
// test plays the main daemon. A container on node 1 reaches a container of
// the same service on node 2 through the encrypted overlay (root only).
#include <catch2/catch.hpp>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "overlay_fixtures.hpp"
#include "net/base/cidr.hpp"
#include "netns.hpp"

using overlayd::app::client_connection;
using overlayd::testing::daemon_process;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;

using overlayd::testing::call;
using overlayd::testing::container;
using node = overlayd::testing::overlay_node;

TEST_CASE("a container reaches its service's container on another node", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  node one("n1");
  node two("n2");
  REQUIRE(one.daemon.started());
  REQUIRE(two.daemon.started());
  REQUIRE(overlayd::testing::connect_namespaces(one.ns, "192.168.79.1/24", two.ns,
                                                "192.168.79.2/24"));
  auto c1 = client_connection::connect(one.daemon.socket_path());
  auto c2 = client_connection::connect(two.daemon.socket_path());
  REQUIRE(c1.ok());
  REQUIRE(c2.ok());

  struct plan {
    client_connection& conn;
    std::uint64_t node_id;
    const char* slice;
    std::string key;
  };
  plan p1{*c1, 1, "10.200.1.0/24", {}};
  plan p2{*c2, 2, "10.200.2.0/24", {}};
  for (plan* p : {&p1, &p2}) {
    call(p->conn, msg::set_local_node_id{p->node_id});
    REQUIRE(std::holds_alternative<msg::bridge_name>(call(
      p->conn, msg::setup_global_overlay{"two", std::to_string(p->node_id), "10.200.0.0/16",
                                         p->slice, 51820, false, {}, {}})));
    auto status = std::get<msg::status_snapshot>(call(p->conn, msg::status{}));
    p->key = *status.public_key;
    auto web = call(p->conn, msg::setup_service_overlay{"web", msg::overlay_mode::automatic});
    REQUIRE(std::holds_alternative<msg::service_overlay_info>(web));
  }
  // What the main daemon does: tell each node about the other, its slice
  // and its service subnet.
  auto introduce = [](plan& to, const plan& other, const char* endpoint) {
    REQUIRE(std::holds_alternative<msg::ok_result>(call(
      to.conn, msg::add_peer{msg::peer_spec{other.key, endpoint, other.slice, 0, {}},
                             msg::global_scope{}})));
  };
  introduce(p1, p2, "192.168.79.2:51820");
  introduce(p2, p1, "192.168.79.1:51820");

  container a("two-ca");
  container b("two-cb");
  auto attach = [](plan& p, const container& c) {
    auto r = call(p.conn, msg::attach_container{msg::linux_pid_handle{c.pid}, "web", false,
                                                false, {}, {}, {}});
    REQUIRE(std::holds_alternative<msg::attach_result>(r));
    return std::get<msg::attach_result>(r).ip;
  };
  auto ip_a = attach(p1, a);
  auto ip_b = attach(p2, b);
  // Each node's web subnet, read from the addresses it handed out.
  auto subnet_of = [](const overlayd::net::ip_address& ip) {
    return overlayd::net::cidr(ip, 26).to_string();
  };
  for (auto [to, other_ip] : {std::pair{&p1, ip_b}, std::pair{&p2, ip_a}}) {
    const plan& other = to == &p1 ? p2 : p1;
    REQUIRE(std::holds_alternative<msg::ok_result>(
      call(to->conn, msg::add_allowed_ip{other.key, subnet_of(other_ip), msg::global_scope{}})));
  }

  CHECK(a.ns.run("ping -c 3 -i 0.2 -W 2 " + ip_b.to_string() + " >/dev/null") == 0);
  CHECK(b.ns.run("ping -c 3 -i 0.2 -W 2 " + ip_a.to_string() + " >/dev/null") == 0);
  // It went through the tunnel: node 1's device saw a handshake with node 2.
  auto status = std::get<msg::status_snapshot>(call(*c1, msg::status{}));
  REQUIRE(status.peers.size() == 1);
  CHECK(status.peers[0].last_handshake_unix_secs > 0);
}

TEST_CASE("a Dedicated service's containers talk across nodes through its own device",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  node one("d1");
  node two("d2");
  REQUIRE(one.daemon.started());
  REQUIRE(two.daemon.started());
  REQUIRE(overlayd::testing::connect_namespaces(one.ns, "192.168.80.1/24", two.ns,
                                                "192.168.80.2/24"));
  auto c1 = client_connection::connect(one.daemon.socket_path());
  auto c2 = client_connection::connect(two.daemon.socket_path());
  REQUIRE(c1.ok());
  REQUIRE(c2.ok());
  // No global overlay at all: only the dedicated devices carry traffic.
  call(*c1, msg::set_local_node_id{1});
  call(*c2, msg::set_local_node_id{2});
  auto db1 = std::get<msg::service_overlay_info>(
    call(*c1, msg::setup_service_overlay{"db", msg::overlay_mode::dedicated}));
  auto db2 = std::get<msg::service_overlay_info>(
    call(*c2, msg::setup_service_overlay{"db", msg::overlay_mode::dedicated}));
  REQUIRE(db1.subnet != db2.subnet);
  // The main daemon's part: each node's db device learns the other's.
  auto introduce = [](client_connection& to, const msg::service_overlay_info& other,
                      const char* host) {
    auto endpoint = std::string(host) + ":" + std::to_string(*other.wg_port);
    REQUIRE(std::holds_alternative<msg::ok_result>(call(
      to, msg::add_peer{msg::peer_spec{*other.wg_public_key, endpoint, *other.subnet, 0, {}},
                        msg::service_scope{"db"}})));
  };
  introduce(*c1, db2, "192.168.80.2");
  introduce(*c2, db1, "192.168.80.1");

  container a("d-ca");
  container b("d-cb");
  auto attach = [](client_connection& c, const container& x) {
    auto r = call(c, msg::attach_container{msg::linux_pid_handle{x.pid}, "db", false, false,
                                           {}, {}, {}});
    REQUIRE(std::holds_alternative<msg::attach_result>(r));
    return std::get<msg::attach_result>(r).ip.to_string();
  };
  auto ip_a = attach(*c1, a);
  auto ip_b = attach(*c2, b);
  CHECK(a.ns.run("ping -c 3 -i 0.2 -W 2 " + ip_b + " >/dev/null") == 0);
  CHECK(b.ns.run("ping -c 3 -i 0.2 -W 2 " + ip_a + " >/dev/null") == 0);
  // Through the db device, not around it.
  CHECK(one.ns.run("ip route get " + ip_b + " | grep -q \"dev zl---db-d\"") == 0);
}
