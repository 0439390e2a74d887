// An IPv6 cluster over an IPv6 underlay, end to end (root): two overlayd
// daemons in their own namespaces, driven through their sockets; the
// overlay addresses, the device routes and the WireGuard endpoints are all
// IPv6.
#include <catch2/catch.hpp>

#include "app/client_connection.hpp"
#include "overlay_fixtures.hpp"
#include "net/base/cidr.hpp"
#include "netns.hpp"
#include "tcp_stream_check.hpp"

using overlayd::app::client_connection;
using overlayd::testing::call;
using overlayd::testing::error_of;
using overlayd::testing::overlay_node;
namespace msg = overlayd::msg;

TEST_CASE("ipv6: two daemons carry an IPv6 cluster over an IPv6 underlay",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  overlay_node a("v6-a");
  overlay_node b("v6-b");
  REQUIRE(a.daemon.started());
  REQUIRE(b.daemon.started());
  // nodad: the addresses are usable at once.
  REQUIRE(overlayd::testing::connect_namespaces(a.ns, "fd99::1/64 nodad", b.ns,
                                                "fd99::2/64 nodad"));
  auto conn_a = client_connection::connect(a.daemon.socket_path());
  auto conn_b = client_connection::connect(b.daemon.socket_path());
  REQUIRE(conn_a.ok());
  REQUIRE(conn_b.ok());

  auto set_up = [](client_connection& c, const char* instance, const char* slice) {
    auto r = call(c, msg::setup_global_overlay{"six", instance, "fd00:200::/48", slice, 51820,
                                               false, {}, {}});
    INFO(error_of(r));
    REQUIRE(std::holds_alternative<msg::bridge_name>(r));
    auto s = call(c, msg::status{});
    return std::get<msg::status_snapshot>(s);
  };
  auto status_a = set_up(*conn_a, "a", "fd00:200:0:1::/64");
  auto status_b = set_up(*conn_b, "b", "fd00:200:0:2::/64");
  REQUIRE(status_a.node_ip);
  REQUIRE(status_b.node_ip);
  CHECK(status_a.node_ip->to_string() == "fd00:200:0:1::1");
  CHECK(status_b.node_ip->to_string() == "fd00:200:0:2::1");

  auto add_peer = [](client_connection& c, const std::string& key, const char* endpoint,
                     const char* allowed) {
    auto r = call(c, msg::add_peer{msg::peer_spec{key, endpoint, allowed, 0, {}},
                                   msg::global_scope{}});
    INFO(error_of(r));
    CHECK(std::holds_alternative<msg::ok_result>(r));
  };
  add_peer(*conn_a, *status_b.public_key, "[fd99::2]:51820", "fd00:200:0:2::/64");
  add_peer(*conn_b, *status_a.public_key, "[fd99::1]:51820", "fd00:200:0:1::/64");

  CHECK(a.ns.run("ping -6 -c 3 -i 0.2 -W 2 fd00:200:0:2::1 >/dev/null") == 0);
  CHECK(b.ns.run("ping -6 -c 3 -i 0.2 -W 2 fd00:200:0:1::1 >/dev/null") == 0);
  auto seen = std::get<msg::status_snapshot>(call(*conn_a, msg::status{}));
  REQUIRE(seen.peers.size() == 1);
  CHECK(seen.peers[0].endpoint == "[fd99::2]:51820");
  CHECK(seen.peers[0].last_handshake_unix_secs > 0);
  // IPv6 TCP segments coalesced for the TUN arrive byte for byte.
  auto stream = overlayd::testing::stream_over_tcp(a.ns, b.ns, "fd00:200:0:2::1", 5001, 32u << 20);
  INFO(stream.failure);
  CHECK(stream.identical);

  // A container on a service bridge gets an address of the service's
  // subnet (a /120 of an IPv6 cluster) and reaches the other node through
  // the overlay at once: its address skips DAD, and the bridge and the
  // device forward IPv6 per device (force_forwarding), never `all`.
  auto web = call(*conn_a, msg::setup_service_overlay{"web", msg::overlay_mode::automatic});
  INFO(error_of(web));
  REQUIRE(std::holds_alternative<msg::service_overlay_info>(web));
  overlayd::testing::container c("v6-c");
  auto attached = call(*conn_a, msg::attach_container{msg::linux_pid_handle{c.pid}, "web", false,
                                                      false, {}, {}, {}});
  INFO(error_of(attached));
  REQUIRE(std::holds_alternative<msg::attach_result>(attached));
  auto ip = std::get<msg::attach_result>(attached).ip;
  REQUIRE(ip.is_v6());
  CHECK(overlayd::net::cidr::parse("fd00:200::/48")->contains(ip));
  auto subnet = overlayd::net::cidr(ip, 120).to_string();
  CHECK(std::holds_alternative<msg::ok_result>(
    call(*conn_b, msg::add_allowed_ip{*status_a.public_key, subnet, msg::global_scope{}})));
  CHECK(c.ns.run("ping -6 -c 3 -i 0.2 -W 2 fd00:200:0:2::1 >/dev/null") == 0);
  CHECK(a.ns.output_of("cat /proc/sys/net/ipv6/conf/all/forwarding") == "0\n");

  CHECK(std::holds_alternative<msg::ok_result>(call(*conn_a, msg::teardown_global_overlay{})));
  CHECK(a.ns.run("ip -6 route show | grep -q fd00:200") != 0);
}
