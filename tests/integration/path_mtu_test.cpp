// The overlay's MTU comes from the underlay: a node's WireGuard device and
// its containers' veths get the egress link's MTU minus WireGuard's 80
// bytes, and TCP between containers crosses a 1280-byte link in the middle
// of the path, which neither node can see, without a black hole; a UDP GSO
// run the kernel refuses for a learned smaller path MTU goes out datagram
// by datagram, in fragments (root only).
#include <catch2/catch.hpp>

#include <poll.h>

#include <string>
#include <vector>

#include "app/client_connection.hpp"
#include "platform/udp_socket.hpp"
#include "net/base/cidr.hpp"
#include "overlay_fixtures.hpp"
#include "tcp_stream_check.hpp"

using overlayd::app::client_connection;
using overlayd::testing::call;
using overlayd::testing::container;
using overlayd::testing::network_namespace;
using node = overlayd::testing::overlay_node;
namespace msg = overlayd::msg;

namespace {

// A veth between two namespaces under names egress detection takes for a
// physical link (it skips veth*), addressed, up, at `mtu`.
bool link(const network_namespace& a, const std::string& a_name, const std::string& a_address,
          const network_namespace& b, const std::string& b_name, const std::string& b_address,
          unsigned mtu = 1500) {
  const std::string size = " mtu " + std::to_string(mtu);
  return a.run("ip link add " + a_name + size + " type veth peer name " + b_name + size
               + " netns " + b.name())
           == 0
         && a.run("ip addr add " + a_address + " dev " + a_name + " && ip link set " + a_name
                  + " up")
              == 0
         && b.run("ip addr add " + b_address + " dev " + b_name + " && ip link set " + b_name
                  + " up")
              == 0;
}

unsigned mtu_of(const network_namespace& ns, const std::string& link_name) {
  auto text = ns.output_of("cat /sys/class/net/" + link_name + "/mtu");
  return text.empty() ? 0 : static_cast<unsigned>(std::stoul(text));
}

// A node of the test's cluster: global overlay up, service "web" set up.
struct cluster_member {
  client_connection conn;
  std::uint64_t node_id;
  std::string slice;
  std::string key;
  std::string interface;
};

cluster_member join(node& n, std::uint64_t node_id, const std::string& slice) {
  auto conn = client_connection::connect(n.daemon.socket_path());
  REQUIRE(conn.ok());
  cluster_member m{std::move(*conn), node_id, slice, {}, {}};
  call(m.conn, msg::set_local_node_id{node_id});
  auto up = call(m.conn, msg::setup_global_overlay{"mtu", std::to_string(node_id), "10.200.0.0/16",
                                                   slice, 51820, false, {}, {}});
  REQUIRE(std::holds_alternative<msg::bridge_name>(up));
  m.interface = std::get<msg::bridge_name>(up).name;
  auto status = std::get<msg::status_snapshot>(call(m.conn, msg::status{}));
  m.key = *status.public_key;
  REQUIRE(std::holds_alternative<msg::service_overlay_info>(
    call(m.conn, msg::setup_service_overlay{"web", msg::overlay_mode::automatic})));
  return m;
}

overlayd::net::ip_address attach(cluster_member& m, const container& c) {
  auto r = call(m.conn, msg::attach_container{msg::linux_pid_handle{c.pid}, "web", false, false,
                                              {}, {}, {}});
  REQUIRE(std::holds_alternative<msg::attach_result>(r));
  return std::get<msg::attach_result>(r).ip;
}

} // namespace

TEST_CASE("the overlay MTU is the egress link's minus WireGuard's on devices and veths",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace gateway("mtu-gw");
  node n("mtu-n");
  REQUIRE(n.daemon.started());
  REQUIRE(link(n.ns, "up0", "192.168.84.1/24", gateway, "down0", "192.168.84.254/24", 1280));
  REQUIRE(n.ns.run("ip route add default via 192.168.84.254") == 0);

  auto member = join(n, 1, "10.200.1.0/24");
  CHECK(mtu_of(n.ns, member.interface) == 1200);
  container c("mtu-c");
  attach(member, c);
  CHECK(mtu_of(c.ns, "eth0") == 1200);

  // --mtu overrides the derivation.
  node fixed("mtu-f", {"--mtu", "1300"});
  REQUIRE(fixed.daemon.started());
  auto pinned = join(fixed, 2, "10.200.2.0/24");
  CHECK(mtu_of(fixed.ns, pinned.interface) == 1300);
}

TEST_CASE("a GSO run larger than the path MTU goes out in fragments, not nowhere",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace sender("gso-a");
  network_namespace receiver("gso-b");
  REQUIRE(link(sender, "up0", "192.168.88.1/24", receiver, "up0", "192.168.88.2/24"));
  // What a router's "fragmentation needed" leaves behind: a smaller path
  // MTU toward the peer than the link's.
  REQUIRE(sender.run("ip route add 192.168.88.2/32 dev up0 mtu lock 1280") == 0);
  using overlayd::platform::datagram;
  using overlayd::platform::socket_address;
  using overlayd::platform::udp_socket;
  int sent = -1;
  std::vector<std::size_t> received;
  receiver.enter([&] {
    auto in = udp_socket::bind(overlayd::net::ip_address{}, 40000);
    CHECK(in.ok());
    if (!in.ok())
      return;
    sender.enter([&] {
      auto out = udp_socket::bind(overlayd::net::ip_address{}, 0);
      CHECK(out.ok());
      if (!out.ok())
        return;
      auto to = *overlayd::net::parse_endpoint("192.168.88.2:40000");
      std::vector<std::uint8_t> payload(1400, 0x5a);
      std::vector<datagram> batch(8, datagram{payload.data(), payload.size(), 0,
                                              socket_address::from(to)});
      sent = out->send_batch(batch.data(), static_cast<int>(batch.size()));
    });
    std::vector<std::vector<std::uint8_t>> buffers(8, std::vector<std::uint8_t>(65536));
    for (auto& buffer : buffers) {
      pollfd p{in->fd(), POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0)
        break;
      datagram d{buffer.data(), 0, buffer.size(), {}};
      if (in->receive_batch(&d, 1) != 1)
        break;
      received.push_back(d.length);
    }
  });
  CHECK(sent == 8);
  CHECK(received == std::vector<std::size_t>(8, 1400));
}

TEST_CASE("TCP between containers crosses a 1280-byte link neither node can see",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  // n1 -- r1 ==1280== r2 -- n2: each node's own link is 1500, so each
  // derives 1420, and the tunnel's datagrams are too big for the middle.
  node one("pm1");
  node two("pm2");
  network_namespace r1("pm-r1");
  network_namespace r2("pm-r2");
  REQUIRE(one.daemon.started());
  REQUIRE(two.daemon.started());
  REQUIRE(link(one.ns, "up0", "192.168.85.1/24", r1, "down0", "192.168.85.254/24"));
  REQUIRE(link(r1, "mid0", "192.168.86.1/24", r2, "mid0", "192.168.86.2/24", 1280));
  REQUIRE(link(two.ns, "up0", "192.168.87.1/24", r2, "down0", "192.168.87.254/24"));
  REQUIRE(one.ns.run("ip route add default via 192.168.85.254") == 0);
  REQUIRE(two.ns.run("ip route add default via 192.168.87.254") == 0);
  REQUIRE(r1.run("sysctl -qw net.ipv4.ip_forward=1 && ip route add 192.168.87.0/24 via "
                 "192.168.86.2")
          == 0);
  REQUIRE(r2.run("sysctl -qw net.ipv4.ip_forward=1 && ip route add 192.168.85.0/24 via "
                 "192.168.86.1")
          == 0);

  auto m1 = join(one, 1, "10.200.1.0/24");
  auto m2 = join(two, 2, "10.200.2.0/24");
  CHECK(mtu_of(one.ns, m1.interface) == 1420);
  for (auto [to, other, endpoint] :
       {std::tuple{&m1, &m2, "192.168.87.1:51820"}, std::tuple{&m2, &m1, "192.168.85.1:51820"}})
    REQUIRE(std::holds_alternative<msg::ok_result>(call(
      to->conn, msg::add_peer{msg::peer_spec{other->key, endpoint, other->slice, 0, {}},
                              msg::global_scope{}})));
  container a("pm-ca");
  container b("pm-cb");
  auto ip_a = attach(m1, a);
  auto ip_b = attach(m2, b);
  for (auto [to, other, ip] : {std::tuple{&m1, &m2, ip_b}, std::tuple{&m2, &m1, ip_a}})
    REQUIRE(std::holds_alternative<msg::ok_result>(
      call(to->conn, msg::add_allowed_ip{other->key, overlayd::net::cidr(ip, 26).to_string(),
                                         msg::global_scope{}})));

  REQUIRE(a.ns.run("ping -c 3 -i 0.2 -W 2 " + ip_b.to_string() + " >/dev/null") == 0);
  // Full-sized segments both ways: each is sealed into a datagram larger
  // than the middle link; the router's "fragmentation needed" must lead
  // to fragments, not to silence.
  auto forward = overlayd::testing::stream_over_tcp(a.ns, b.ns, ip_b.to_string(), 5001, 8u << 20);
  CHECK(forward.failure == "");
  CHECK(forward.identical);
  auto back = overlayd::testing::stream_over_tcp(b.ns, a.ns, ip_a.to_string(), 5002, 8u << 20);
  CHECK(back.failure == "");
  CHECK(back.identical);
}
