// Two overlayd daemons, each in its own namespace, joined by a veth and
// driven only through their sockets, as the main daemon drives them (root).
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "overlay_fixtures.hpp"
#include "netns.hpp"
#include "tcp_stream_check.hpp"
#include "udp_burst_check.hpp"

using overlayd::app::client_connection;
using overlayd::testing::network_namespace;
namespace msg = overlayd::msg;
using overlayd::testing::call;
using overlayd::testing::overlay_node;

namespace {

msg::status_snapshot status_of(client_connection& conn) {
  auto r = call(conn, msg::status{});
  REQUIRE(std::holds_alternative<msg::status_snapshot>(r));
  return std::get<msg::status_snapshot>(r);
}

std::string set_up(client_connection& c, const char* instance, const char* slice) {
  auto r = call(c, msg::setup_global_overlay{"two", instance, "10.200.0.0/16", slice, 51820,
                                             false, {}, {}});
  REQUIRE(std::holds_alternative<msg::bridge_name>(r));
  return std::get<msg::bridge_name>(r).name;
}

msg::response add_peer(client_connection& c, const std::string& key, const std::string& endpoint,
                       const char* allowed) {
  return call(c, msg::add_peer{msg::peer_spec{key, endpoint, allowed, 0, {}}, msg::global_scope{}});
}

// Two nodes joined by a veth (192.168.78.1 and .2), each with the global
// overlay up (10.200.1.1 and 10.200.2.1) and the other as its peer.
struct tunnel {
  client_connection conn_a, conn_b;
  std::string iface_a, iface_b, key_a, key_b;
};

tunnel build_tunnel(overlay_node& a, overlay_node& b) {
  REQUIRE(a.daemon.started());
  REQUIRE(b.daemon.started());
  REQUIRE(overlayd::testing::connect_namespaces(a.ns, "192.168.78.1/24", b.ns,
                                                "192.168.78.2/24"));
  auto conn_a = client_connection::connect(a.daemon.socket_path());
  auto conn_b = client_connection::connect(b.daemon.socket_path());
  REQUIRE(conn_a.ok());
  REQUIRE(conn_b.ok());
  tunnel t{std::move(*conn_a), std::move(*conn_b), {}, {}, {}, {}};
  t.iface_a = set_up(t.conn_a, "a", "10.200.1.0/24");
  t.iface_b = set_up(t.conn_b, "b", "10.200.2.0/24");
  t.key_a = *status_of(t.conn_a).public_key;
  t.key_b = *status_of(t.conn_b).public_key;
  CHECK(std::holds_alternative<msg::ok_result>(
    add_peer(t.conn_a, t.key_b, "192.168.78.2:51820", "10.200.2.0/24")));
  CHECK(std::holds_alternative<msg::ok_result>(
    add_peer(t.conn_b, t.key_a, "192.168.78.1:51820", "10.200.1.0/24")));
  return t;
}

// Whether the kernel hands the device's TUN a virtio_net_hdr (IFF_VNET_HDR
// in /sys/class/net/<if>/tun_flags): the sign of offloads in use.
bool tun_has_offloads(const network_namespace& ns, const std::string& iface) {
  const std::string flags = ns.output_of("cat /sys/class/net/" + iface + "/tun_flags");
  REQUIRE_FALSE(flags.empty());
  constexpr unsigned long iff_vnet_hdr = 0x4000;
  return (std::stoul(flags, nullptr, 16) & iff_vnet_hdr) != 0;
}

// Bulk TCP both ways arrives byte for byte.
void check_streams(const overlay_node& a, const overlay_node& b, std::size_t bytes) {
  auto forward = overlayd::testing::stream_over_tcp(a.ns, b.ns, "10.200.2.1", 5001, bytes);
  INFO(forward.failure);
  CHECK(forward.identical);
  auto backward = overlayd::testing::stream_over_tcp(b.ns, a.ns, "10.200.1.1", 5001, bytes);
  INFO(backward.failure);
  CHECK(backward.identical);
}

// A scrape of node `ns`'s /metrics through Prometheus' own parser: each
// sample by "name{label=value,...}" (labels sorted), and the raw text.
struct scrape {
  std::map<std::string, double> samples;
  std::string text;

  double operator()(const std::string& key) const {
    auto it = samples.find(key);
    INFO(key);
    REQUIRE(it != samples.end());
    return it->second;
  }
};

// Debian's python3 (which has python3-prometheus-client), not whatever
// python3 comes first on PATH.
scrape scrape_metrics(const network_namespace& ns, const std::string& url) {
  std::string out = ns.output_of(std::string("/usr/bin/python3 ") + OVERLAYD_SCRAPE_METRICS + " " + url);
  auto raw = out.find("#raw\n");
  REQUIRE(raw != std::string::npos); // the parser accepted the exposition
  scrape s;
  s.text = out.substr(raw + 5);
  std::istringstream lines(out.substr(0, raw));
  std::string line;
  while (std::getline(lines, line)) {
    auto bar1 = line.find('|');
    auto bar2 = line.rfind('|');
    s.samples[line.substr(0, bar1) + "{" + line.substr(bar1 + 1, bar2 - bar1 - 1) + "}"] =
      std::stod(line.substr(bar2 + 1));
  }
  return s;
}

} // namespace

TEST_CASE("metrics count a tunnel's traffic, parsed by Prometheus' parser",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  const std::string url = "http://127.0.0.1:19587/metrics";
  overlay_node a("metrics-a", {"--metrics-listen", "127.0.0.1:19587"});
  overlay_node b("metrics-b", {"--metrics-listen", "127.0.0.1:19587"});
  auto t = build_tunnel(a, b);
  auto before = scrape_metrics(a.ns, url);
  const std::string peer = "device=" + t.iface_a + ",peer=" + t.key_b + "}";
  auto sample = [&](const char* name) { return std::string(name) + "{" + peer; };

  CHECK(a.ns.run("ping -c 5 -i 0.2 -W 2 10.200.2.1 >/dev/null") == 0);
  REQUIRE(std::holds_alternative<msg::error_result>(
    call(t.conn_a, msg::add_allowed_ip{t.key_b, "10.0.0.0/40", msg::global_scope{}})));
  auto after = scrape_metrics(a.ns, url);

  CHECK(after("overlayd_wg_peers{device=" + t.iface_a + "}") == 1);
  for (const char* counter :
       {"overlayd_wg_peer_transmit_packets_total", "overlayd_wg_peer_receive_packets_total",
        "overlayd_wg_peer_transmit_bytes_total", "overlayd_wg_peer_receive_bytes_total"})
    CHECK(after(sample(counter)) >= before(sample(counter)) + 5); // five pings and replies
  CHECK(after(sample("overlayd_wg_peer_last_handshake_age_seconds")) < 60);
  CHECK(after(sample("overlayd_wg_peer_handshake_failures_total")) == 0);
  CHECK(after("overlayd_wg_dropped_packets_total{device=" + t.iface_a + ",reason=replay}") == 0);
  CHECK(after("overlayd_ipc_requests_total{op=add_peer,result=ok}") == 1);
  CHECK(after("overlayd_ipc_requests_total{op=add_allowed_ip,result=error}") == 1);
  CHECK(after("overlayd_ipc_request_duration_seconds_count{op=setup_global_overlay}") == 1);
  CHECK(after("overlayd_ipc_connections{}") >= 1);
  // Whichever side sent first initiated the handshake.
  auto b_side = scrape_metrics(b.ns, url);
  const std::string b_peer = "{device=" + t.iface_b + ",peer=" + t.key_a + "}";
  CHECK(after(sample("overlayd_wg_peer_handshake_initiations_total"))
          + b_side("overlayd_wg_peer_handshake_initiations_total" + b_peer)
        >= 1);
  // overlayctl shows the same: the peer by its base64 key, its transfer
  // (through the UAPI socket), and the counters' summary.
  const std::string ctl = std::string(OVERLAYCTL_BIN) + " --socket " + a.daemon.socket_path()
                          + " --uapi-dir " + a.dir.path() + "/wg ";
  auto shown = a.ns.output_of(ctl + "status");
  CHECK(shown.find("peer " + t.key_b + "\n") != std::string::npos);
  CHECK(shown.find("  endpoint:        192.168.78.2:51820\n") != std::string::npos);
  CHECK(shown.find("  transfer:        ") != std::string::npos);
  CHECK(shown.find("  transfer:        0 B received") == std::string::npos);
  auto summary = a.ns.output_of(ctl + "metrics --metrics 127.0.0.1:19587");
  CHECK(summary.find("  add_peer ok: 1\n") != std::string::npos);
  CHECK(summary.find("  add_allowed_ip error: 1\n") != std::string::npos);
  CHECK(summary.find(t.iface_a + " " + t.key_b + " received ") != std::string::npos);

  // Public keys label the peers; the private key appears nowhere (read
  // through the UAPI socket, as `wg` does).
  a.ns.run("mkdir -p /run/wireguard && ln -sf " + a.dir.path() + "/wg/" + t.iface_a
           + ".sock /run/wireguard/");
  std::string private_key = a.ns.output_of("wg show " + t.iface_a + " private-key");
  REQUIRE(private_key.size() > 40);
  CHECK(after.text.find(private_key.substr(0, 43)) == std::string::npos);
}

TEST_CASE("two overlayd daemons build a tunnel through their sockets", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  overlay_node a("two-a");
  overlay_node b("two-b");
  auto t = build_tunnel(a, b);
  auto& conn_a = t.conn_a;
  // Setting up again reuses the device: same name, same key.
  CHECK(set_up(conn_a, "a", "10.200.1.0/24") == t.iface_a);
  CHECK(*status_of(conn_a).public_key == t.key_a);

  CHECK(a.ns.run("ping -c 3 -i 0.2 -W 2 10.200.2.1 >/dev/null") == 0);
  CHECK(b.ns.run("ping -c 3 -i 0.2 -W 2 10.200.1.1 >/dev/null") == 0);
  auto seen = status_of(conn_a);
  REQUIRE(seen.peers.size() == 1);
  CHECK(seen.peers[0].last_handshake_unix_secs > 0);
  CHECK(seen.peers[0].endpoint == "192.168.78.2:51820");

  // The senders' GSO runs, the receivers' GRO and the TSO super-packets
  // coalesced for their TUN carry bulk TCP intact.
  CHECK(tun_has_offloads(a.ns, t.iface_a));
  check_streams(a, b, 64u << 20);
  // A UDP GSO burst crosses whole (cut by overlayd where the TUN takes USO).
  // UDP may lose a datagram on a busy machine; it must never damage one.
  overlayd::testing::burst_check burst;
  for (int attempt = 0; attempt < 3 && burst.intact < 64; ++attempt) {
    burst = overlayd::testing::udp_burst(a.ns, "10.200.1.1", b.ns, "10.200.2.1", 64);
    CHECK(burst.damaged == 0);
  }
  CHECK(burst.intact == 64);

  // A second allowed IP, then its removal, through the contract.
  CHECK(std::holds_alternative<msg::ok_result>(
    call(conn_a, msg::add_allowed_ip{t.key_b, "10.201.0.0/24", msg::global_scope{}})));
  CHECK(status_of(conn_a).peers[0].allowed_ips == "10.200.2.0/24,10.201.0.0/24");
  CHECK(std::holds_alternative<msg::ok_result>(
    call(conn_a, msg::remove_allowed_ip{t.key_b, "10.201.0.0/24", msg::global_scope{}})));
  CHECK(status_of(conn_a).peers[0].allowed_ips == "10.200.2.0/24");

  // Without the peer, nothing passes; teardown removes the device.
  CHECK(std::holds_alternative<msg::ok_result>(
    call(conn_a, msg::remove_peer{t.key_b, msg::global_scope{}})));
  CHECK(a.ns.run("ping -c 1 -W 1 10.200.2.1 >/dev/null") != 0);
  CHECK(std::holds_alternative<msg::ok_result>(call(conn_a, msg::teardown_global_overlay{})));
  CHECK(a.ns.run("ip link show " + t.iface_a + " >/dev/null 2>&1") != 0);
  CHECK_FALSE(status_of(conn_a).interface);
}

TEST_CASE("with --no-offloads the daemons carry traffic one packet per call",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  // The path a kernel without offloads takes, and the way out when a
  // kernel's offloads misbehave.
  overlay_node a("plain-a", {"--no-offloads"});
  overlay_node b("plain-b", {"--no-offloads"});
  auto t = build_tunnel(a, b);
  CHECK_FALSE(tun_has_offloads(a.ns, t.iface_a));
  CHECK_FALSE(tun_has_offloads(b.ns, t.iface_b));
  CHECK(a.ns.run("ping -c 3 -i 0.2 -W 2 10.200.2.1 >/dev/null") == 0);
  check_streams(a, b, 16u << 20);
}

TEST_CASE("with --threads 3 the daemons seal and open on three threads each way, in order",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  // TCP notices reordering and loss; check_streams compares every byte.
  overlay_node a("threads-a", {"--threads", "3"});
  overlay_node b("threads-b", {"--threads=3"});
  auto t = build_tunnel(a, b);
  CHECK(a.ns.run("ping -c 3 -i 0.2 -W 2 10.200.2.1 >/dev/null") == 0);
  check_streams(a, b, 64u << 20);
}
