// NAT traversal and the relay behind real NAT (root): two overlayd nodes,
// each behind its own masquerading router, coturn as the STUN server and a
// third overlayd running the relay on the "public" segment (nat_internet.hpp).
// The test plays the main daemon: it reads each node's candidates from
// NatStatus, hands them to the other node with AddPeer, and sends NatTick.
#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>
#include <thread>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "nat_internet.hpp"
#include "net/relay/relay_message.hpp"
#include "net/wireguard/keys.hpp"
#include "overlay_fixtures.hpp"
#include "platform/relay_client.hpp"
#include "platform/udp_socket.hpp"

using namespace overlayd;
using overlayd::app::client_connection;
using overlayd::testing::call;
using overlayd::testing::daemon_process;
using overlayd::testing::error_of;
using overlayd::testing::nat_internet;
using overlayd::testing::nat_mapping;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;

namespace {

constexpr const char* cluster = "10.210.0.0/16";
constexpr const char* relay_address = "203.0.113.10:3479";
constexpr const char* stun_address = "203.0.113.10:3478";
constexpr const char* secret = "cluster-relay-secret";

// One overlayd in a namespace of the small internet, with its socket.
struct nat_node {
  nat_node(const network_namespace& ns) : daemon(dir.path(), {}, &ns) {
    REQUIRE(daemon.started());
    auto c = client_connection::connect(daemon.socket_path());
    REQUIRE(c.ok());
    conn.emplace(std::move(*c));
  }

  msg::response ask(const msg::request& r) { return call(*conn, r); }

  void set_up(const char* instance, const char* slice, msg::nat_config_spec nat) {
    auto r = ask(msg::setup_global_overlay{"nat", instance, cluster, slice, 51820, false,
                                           std::move(nat), {}});
    REQUIRE(std::holds_alternative<msg::bridge_name>(r));
    auto s = ask(msg::status{});
    public_key = *std::get<msg::status_snapshot>(s).public_key;
  }

  msg::nat_status_wire nat_status() {
    auto r = ask(msg::nat_status{});
    REQUIRE(std::holds_alternative<msg::nat_status_wire>(r));
    return std::get<msg::nat_status_wire>(r);
  }

  void tick() {
    auto r = ask(msg::nat_tick{});
    INFO(error_of(r));
    REQUIRE(std::holds_alternative<msg::ok_result>(r));
  }

  std::optional<msg::nat_candidate_wire> candidate(const std::string& type) {
    for (const auto& c : nat_status().candidates)
      if (c.candidate_type == type)
        return c;
    return std::nullopt;
  }

  // Waits until NatStatus reports `peer` with a settled connection type.
  std::optional<msg::nat_peer_wire> connection_to(const std::string& peer, int seconds) {
    for (int i = 0; i < seconds * 4; ++i) {
      for (const auto& p : nat_status().peers)
        if (p.node_id == peer)
          return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return std::nullopt;
  }

  temp_dir dir;
  daemon_process daemon;
  std::optional<client_connection> conn;
  std::string public_key;
};

msg::nat_config_spec node_nat(std::string relay_credential) {
  msg::nat_config_spec nat;
  nat.enabled = true;
  nat.stun_servers = {stun_address};
  nat.turn_servers = {msg::turn_server_spec{relay_address, "node", std::move(relay_credential)}};
  nat.hole_punch_timeout_secs = 4;
  return nat;
}

msg::nat_config_spec relay_nat(std::uint64_t max_sessions) {
  msg::nat_config_spec nat;
  nat.enabled = true;
  nat.relay_server = msg::relay_server_spec{3479, relay_address, max_sessions, secret};
  return nat;
}

// Tells `node` about `peer` as the main daemon would: its overlay slice and
// its advertised candidates. The endpoint given is the peer's private host
// address, which nobody outside its LAN can reach: only traversal connects.
void introduce(nat_node& node, nat_node& peer, const char* peer_slice, const char* peer_lan_ip) {
  msg::peer_spec spec{peer.public_key, std::string(peer_lan_ip) + ":51820", peer_slice, 25,
                      peer.nat_status().candidates};
  auto r = node.ask(msg::add_peer{spec, msg::global_scope{}});
  INFO(error_of(r));
  REQUIRE(std::holds_alternative<msg::ok_result>(r));
}

// A relay client in the test process, on a plain socket in `ns`: what a
// third node would see, with the exact refusal.
result<net::endpoint> allocate_from(const network_namespace& ns, const std::string& credential) {
  result<net::endpoint> outcome = make_error("not run");
  ns.enter([&] {
    auto sock = platform::udp_socket::bind(*net::ip_address::parse("0.0.0.0"), 0);
    REQUIRE(sock.ok());
    auto key = net::relay::derive_auth_key(credential);
    auto server = *net::parse_endpoint(relay_address);
    platform::relay_client client(
      [&](const net::relay::message& m, std::initializer_list<net::relay::message_type>,
          std::chrono::milliseconds timeout) -> result<net::relay::message> {
        auto bytes = net::relay::encode(m, key);
        platform::datagram out{bytes->data(), bytes->size(), 0,
                               platform::socket_address::from(server)};
        sock->send_batch(&out, 1);
        pollfd p{sock->fd(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
          return make_error("no authenticated answer");
        std::vector<std::uint8_t> buffer(2048);
        platform::datagram in{buffer.data(), 0, buffer.size(), {}};
        if (sock->receive_batch(&in, 1) != 1)
          return make_error("receive failed");
        auto answer = net::relay::decode(buffer.data(), in.length, key);
        if (!answer)
          return make_error(answer.error_message());
        return *answer;
      },
      std::chrono::milliseconds(1500));
    outcome = client.allocate("intruder");
  });
  return outcome;
}

struct nat_scenario {
  explicit nat_scenario(nat_mapping mapping) : internet(mapping) {
    REQUIRE(internet.ok());
    REQUIRE(internet.start_coturn(3478));
    relay.emplace(internet.public_ns());
    relay->set_up("relay", "10.210.9.0/24", relay_nat(2));
    relay->tick(); // starts the relay server
    a.emplace(internet.node_a());
    b.emplace(internet.node_b());
    a->set_up("a", "10.210.1.0/24", node_nat(secret));
    b->set_up("b", "10.210.2.0/24", node_nat(secret));
    a->tick();
    b->tick();
  }

  void connect() {
    introduce(*a, *b, "10.210.2.0/24", nat_internet::node_b_ip);
    introduce(*b, *a, "10.210.1.0/24", nat_internet::node_a_ip);
    a->tick();
    b->tick();
  }

  nat_internet internet;
  std::optional<nat_node> relay;
  std::optional<nat_node> a;
  std::optional<nat_node> b;
};

} // namespace

TEST_CASE("nat: behind endpoint-independent NATs the nodes punch a hole and ping",
          "[integration][root][nat]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN, iptables"))
    return;
  nat_scenario net(nat_mapping::endpoint_independent);
  // Each node sees itself as its router's public address, at its own port
  // (the binding request left from the WireGuard socket).
  auto srflx_a = net.a->candidate("server-reflexive");
  auto srflx_b = net.b->candidate("server-reflexive");
  REQUIRE(srflx_a);
  REQUIRE(srflx_b);
  CHECK(srflx_a->address == std::string(nat_internet::router_a_public_ip) + ":51820");
  CHECK(srflx_b->address == std::string(nat_internet::router_b_public_ip) + ":51820");
  CHECK(srflx_a->priority == 50);
  auto host_a = net.a->candidate("host");
  REQUIRE(host_a);
  CHECK(host_a->address == std::string(nat_internet::node_a_ip) + ":51820");
  auto relay_a = net.a->candidate("relay");
  REQUIRE(relay_a);
  CHECK(relay_a->address.rfind("203.0.113.10:", 0) == 0);
  CHECK(net.a->nat_status().last_refresh > 0);

  net.connect();
  auto a_to_b = net.a->connection_to(net.b->public_key, 40);
  auto b_to_a = net.b->connection_to(net.a->public_key, 40);
  REQUIRE(a_to_b);
  REQUIRE(b_to_a);
  CHECK(a_to_b->connection_type == "hole-punched");
  CHECK(b_to_a->connection_type == "hole-punched");
  CHECK(a_to_b->remote_endpoint == srflx_b->address);
  CHECK(b_to_a->remote_endpoint == srflx_a->address);
  CHECK(net.internet.node_a().run("ping -c 3 -i 0.2 -W 2 10.210.2.1 >/dev/null") == 0);
  CHECK(net.internet.node_b().run("ping -c 3 -i 0.2 -W 2 10.210.1.1 >/dev/null") == 0);

  // The relay holds A's and B's allocations, its limit: a third client is
  // refused, and one with another credential gets no answer at all.
  auto over_limit = allocate_from(net.internet.public_ns(), secret);
  REQUIRE_FALSE(over_limit.ok());
  CHECK(over_limit.error_message() == "allocation rejected: max sessions reached");
  auto forged = allocate_from(net.internet.public_ns(), "not-the-secret");
  REQUIRE_FALSE(forged.ok());
  CHECK(forged.error_message() == "no authenticated answer");

  // RemovePeer forgets the peer's candidates and connection.
  CHECK(std::holds_alternative<msg::ok_result>(
    net.a->ask(msg::remove_peer{net.b->public_key, msg::global_scope{}})));
  CHECK(net.a->nat_status().peers.empty());
}

TEST_CASE("nat: behind symmetric NATs the nodes fall back to the relay and ping",
          "[integration][root][nat]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN, iptables"))
    return;
  nat_scenario net(nat_mapping::symmetric);
  auto srflx_a = net.a->candidate("server-reflexive");
  REQUIRE(srflx_a);
  CHECK(srflx_a->address.rfind(std::string(nat_internet::router_a_public_ip) + ":", 0) == 0);
  auto relay_a = net.a->candidate("relay");
  auto relay_b = net.b->candidate("relay");
  REQUIRE(relay_a);
  REQUIRE(relay_b);

  net.connect();
  auto a_to_b = net.a->connection_to(net.b->public_key, 60);
  auto b_to_a = net.b->connection_to(net.a->public_key, 60);
  REQUIRE(a_to_b);
  REQUIRE(b_to_a);
  CHECK(a_to_b->connection_type == "relayed");
  CHECK(b_to_a->connection_type == "relayed");
  CHECK(a_to_b->remote_endpoint == relay_b->address);
  CHECK(b_to_a->remote_endpoint == relay_a->address);
  CHECK(net.internet.node_a().run("ping -c 3 -i 0.2 -W 2 10.210.2.1 >/dev/null") == 0);
  CHECK(net.internet.node_b().run("ping -c 3 -i 0.2 -W 2 10.210.1.1 >/dev/null") == 0);
}

TEST_CASE("nat: wrong relay credential, silent STUN server, unreachable peer",
          "[integration][root][nat]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN, iptables"))
    return;
  nat_internet internet(nat_mapping::endpoint_independent);
  REQUIRE(internet.ok());
  REQUIRE(internet.start_coturn(3478));
  nat_node relay(internet.public_ns());
  relay.set_up("relay", "10.210.9.0/24", relay_nat(10));
  relay.tick();
  nat_node a(internet.node_a());
  a.set_up("a", "10.210.1.0/24", node_nat("not-the-secret"));
  a.tick(); // STUN still works: the tick succeeds
  auto status = a.nat_status();
  CHECK(a.candidate("server-reflexive"));
  CHECK_FALSE(a.candidate("relay"));
  // With the right credential the next tick allocates.
  a.set_up("a", "10.210.1.0/24", node_nat(secret));
  a.tick();
  CHECK(a.candidate("relay"));
  // A STUN server that does not answer fails the tick, naming it.
  auto silent = node_nat(secret);
  silent.stun_servers = {"203.0.113.10:3999"};
  a.set_up("a", "10.210.1.0/24", silent);
  CHECK(error_of(a.ask(msg::nat_tick{}))
        == "NAT maintenance tick failed: stun(203.0.113.10:3999): no answer within 3000 ms");

  // A peer whose only candidate never answers: reported unreachable, and
  // its endpoint is put back where the main daemon had it (DECISIONS 22).
  a.set_up("a", "10.210.1.0/24", node_nat(secret));
  a.tick();
  auto nobody = net::wg::key_to_base64(
    net::wg::public_key_from_private(net::wg::generate_private_key()));
  msg::peer_spec ghost{nobody, "203.0.113.99:51820", "10.210.7.0/24", 0,
                       {msg::nat_candidate_wire{"host", "192.168.30.9:51820", 100}}};
  REQUIRE(std::holds_alternative<msg::ok_result>(a.ask(msg::add_peer{ghost, msg::global_scope{}})));
  a.tick();
  auto gone = a.connection_to(nobody, 15);
  REQUIRE(gone);
  CHECK(gone->connection_type == "unreachable");
  CHECK(gone->remote_endpoint == std::optional<std::string>("203.0.113.99:51820"));
}

namespace {

// iperf3 TCP from node A to node B's overlay address for `seconds`; the
// receiver's Gbit/s, or a negative number when iperf3 failed.
double overlay_throughput(nat_scenario& net, int seconds) {
  net.internet.node_b().run("iperf3 -s -1 -D -B 10.210.2.1 >/dev/null 2>&1");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto json =
    net.internet.node_a().output_of("iperf3 -c 10.210.2.1 -J -t " + std::to_string(seconds));
  auto received = json.find("\"sum_received\"");
  auto rate = json.find("\"bits_per_second\":", received);
  if (received == std::string::npos || rate == std::string::npos)
    return -1;
  return std::stod(json.substr(rate + 18)) / 1e9;
}

void measure_path(nat_mapping mapping, const char* expected, const char* label) {
  nat_scenario net(mapping);
  auto started = std::chrono::steady_clock::now();
  net.connect();
  auto connected = net.a->connection_to(net.b->public_key, 60);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(connected);
  REQUIRE(connected->connection_type == expected);
  double gbits = overlay_throughput(net, 5);
  WARN(label << ": connected (" << expected << ") in " << took << " s with "
             << "hole_punch_timeout_secs 4; iperf3 5 s: " << gbits << " Gbit/s");
}

} // namespace

// Hidden: run by tools/nat_bench.sh, never by the test suite.
TEST_CASE("nat bench: connect time and throughput, punched and relayed", "[.][nat-bench]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  measure_path(nat_mapping::endpoint_independent, "hole-punched", "cone NATs");
  measure_path(nat_mapping::symmetric, "relayed", "symmetric NATs (relay)");
}
