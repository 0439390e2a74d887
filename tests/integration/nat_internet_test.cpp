// The nat_internet fixture behaves like real NAT (root only): nodes reach
// the public segment but not the other way round, STUN from a node's
// WireGuard socket sees the router's public address, the mapping keeps the
// port (endpoint-independent) or changes it per destination (symmetric),
// and a router drops what nobody inside asked for while letting answers
// through the hole a node's own datagram made.
//
// Work inside network_namespace::enter(...) only CHECKs: a REQUIRE would
// throw on the inner thread and end the process before the namespaces are
// deleted.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nat_internet.hpp"
#include "net/base/endpoint.hpp"
#include "platform/wg_device.hpp"

using namespace overlayd;
using overlayd::testing::nat_internet;
using overlayd::testing::nat_mapping;
using overlayd::testing::network_namespace;

namespace {

std::unique_ptr<platform::wg_device> device_in(const network_namespace& ns,
                                               const std::string& uapi_directory) {
  std::unique_ptr<platform::wg_device> device;
  ns.enter([&] {
    platform::wg_device_options options;
    options.interface = "wg-nat"; // the namespace is fresh: no clash possible
    options.uapi_directory = uapi_directory;
    auto made = platform::wg_device::create(options);
    if (made)
      device = std::move(*made);
    else
      FAIL_CHECK(made.error_message());
  });
  return device;
}

result<net::endpoint> reflexive(platform::wg_device& device, const std::string& server) {
  result<net::endpoint> seen = make_error("not asked");
  for (int attempt = 0; attempt < 8 && !seen; ++attempt) // the first ARP, a slow coturn
    seen = device.stun_binding(*net::parse_endpoint(server), std::chrono::milliseconds(250));
  return seen;
}

// A plain IPv4 UDP socket, made inside a namespace (it stays there).
struct udp_probe {
  int fd = -1;
  ~udp_probe() {
    if (fd >= 0)
      ::close(fd);
  }
};

sockaddr_in v4(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

void open_probe(udp_probe& probe, const network_namespace& ns, const std::string& ip,
                std::uint16_t port) {
  ns.enter([&] {
    probe.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local = v4(ip, port);
    if (probe.fd < 0 || ::bind(probe.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      FAIL_CHECK("cannot bind " << ip << ":" << port);
      if (probe.fd >= 0)
        ::close(probe.fd);
      probe.fd = -1;
    }
  });
}

std::uint16_t port_of(const udp_probe& probe) {
  sockaddr_in local{};
  socklen_t length = sizeof local;
  ::getsockname(probe.fd, reinterpret_cast<sockaddr*>(&local), &length);
  return ntohs(local.sin_port);
}

bool send_to(const udp_probe& probe, const std::string& ip, std::uint16_t port,
             const std::string& payload) {
  sockaddr_in to = v4(ip, port);
  return ::sendto(probe.fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                  sizeof to)
         == static_cast<ssize_t>(payload.size());
}

struct received {
  std::string payload;
  std::string from; // "ip:port"
};

std::optional<received> receive(const udp_probe& probe, std::chrono::milliseconds timeout) {
  pollfd p{probe.fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
    return std::nullopt;
  char buffer[1500];
  sockaddr_in from{};
  socklen_t length = sizeof from;
  ssize_t n = ::recvfrom(probe.fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from),
                         &length);
  if (n < 0)
    return std::nullopt;
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
  return received{std::string(buffer, static_cast<std::size_t>(n)),
                  std::string(ip) + ":" + std::to_string(ntohs(from.sin_port))};
}

const char* name_of(nat_mapping mapping) {
  return mapping == nat_mapping::symmetric ? "symmetric" : "endpoint_independent";
}

} // namespace

TEST_CASE("nat internet: namespaces behave like a home router's NAT", "[integration][root][nat]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN, iptables"))
    return;
  const nat_mapping mapping = GENERATE(nat_mapping::endpoint_independent, nat_mapping::symmetric);
  INFO("mapping: " << name_of(mapping));
  nat_internet net(mapping);
  REQUIRE(net.ok());

  SECTION("a node reaches the public host; the public host cannot reach the node") {
    CHECK(net.node_a().run("ping -c1 -W1 203.0.113.10 >/dev/null 2>&1") == 0);
    CHECK(net.node_b().run("ping -c1 -W1 203.0.113.20 >/dev/null 2>&1") == 0);
    // The internet has no route to a private LAN...
    CHECK(net.public_ns().run("ping -c1 -W1 192.168.10.2 >/dev/null 2>&1") != 0);
    // ...and even a neighbour that routes it at the router gets nothing in.
    REQUIRE(net.public_ns().run("ip route add 192.168.10.0/24 via 203.0.113.1") == 0);
    CHECK(net.public_ns().run("ping -c1 -W1 192.168.10.2 >/dev/null 2>&1") != 0);
    // Nodes behind different routers cannot address each other directly.
    CHECK(net.node_b().run("ping -c1 -W1 192.168.10.2 >/dev/null 2>&1") != 0);
  }

  SECTION("STUN from a node's WireGuard socket sees the router's public address") {
    REQUIRE(net.start_coturn(3478, nat_internet::public_host_ip));
    REQUIRE(net.start_coturn(3478, nat_internet::second_public_ip));
    auto device = device_in(net.node_a(), net.work_dir());
    REQUIRE(device);
    auto first = reflexive(*device, "203.0.113.10:3478");
    auto second = reflexive(*device, "203.0.113.20:3478");
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(first->address.to_string() == nat_internet::router_a_public_ip);
    CHECK(second->address.to_string() == nat_internet::router_a_public_ip);
    if (mapping == nat_mapping::endpoint_independent) {
      // The port survives the NAT, the same toward every destination: what
      // STUN reports is the address every peer can use.
      CHECK(first->port == device->listen_port());
      CHECK(second->port == device->listen_port());
    } else {
      // A random port per destination: what one server saw says nothing
      // about what a peer would see. (Random ports collide with
      // probability about 1/64000 per pair.)
      CHECK(first->port != device->listen_port());
      CHECK(first->port != second->port);
    }
    // The same destination again reuses the flow's mapping, in both modes.
    auto again = reflexive(*device, "203.0.113.10:3478");
    REQUIRE(again.ok());
    CHECK(again->port == first->port);
  }

  SECTION("unsolicited datagrams are dropped; answers come in through the hole") {
    udp_probe inside, stranger, server;
    open_probe(inside, net.node_a(), nat_internet::node_a_ip, 0);
    open_probe(stranger, net.public_ns(), nat_internet::public_host_ip, 40001);
    open_probe(server, net.public_ns(), nat_internet::public_host_ip, 40002);
    REQUIRE(inside.fd >= 0);
    REQUIRE(stranger.fd >= 0);
    REQUIRE(server.fd >= 0);
    const std::uint16_t port = port_of(inside);

    // Nobody inside asked: the router has nothing to forward it to.
    REQUIRE(send_to(stranger, nat_internet::router_a_public_ip, port, "unsolicited"));
    CHECK_FALSE(receive(inside, std::chrono::milliseconds(500)));

    // The node speaks first; the answer to the address the server saw gets in.
    REQUIRE(send_to(inside, nat_internet::public_host_ip, 40002, "hello"));
    auto at_server = receive(server, std::chrono::milliseconds(2000));
    REQUIRE(at_server);
    CHECK(at_server->payload == "hello");
    const std::string mapped = at_server->from;
    CHECK(mapped.rfind(std::string(nat_internet::router_a_public_ip) + ":", 0) == 0);
    if (mapping == nat_mapping::endpoint_independent)
      CHECK(mapped == std::string(nat_internet::router_a_public_ip) + ":" + std::to_string(port));
    const auto mapped_port =
      static_cast<std::uint16_t>(std::stoi(mapped.substr(mapped.find(':') + 1)));
    REQUIRE(send_to(server, nat_internet::router_a_public_ip, mapped_port, "answer"));
    auto answer = receive(inside, std::chrono::milliseconds(2000));
    REQUIRE(answer);
    CHECK(answer->payload == "answer");
    CHECK(answer->from == "203.0.113.10:40002");

    // The hole is for that server only: another public endpoint (another
    // port of the same host) still gets nothing through it.
    REQUIRE(send_to(stranger, nat_internet::router_a_public_ip, mapped_port, "sneaking in"));
    CHECK_FALSE(receive(inside, std::chrono::milliseconds(500)));
  }

  SECTION("two nodes punch a hole to each other only through endpoint-independent NAT") {
    udp_probe a, b;
    open_probe(a, net.node_a(), nat_internet::node_a_ip, 0);
    open_probe(b, net.node_b(), nat_internet::node_b_ip, 0);
    REQUIRE(a.fd >= 0);
    REQUIRE(b.fd >= 0);
    // Each aims at the address STUN showed the other behind
    // endpoint-independent NAT: its router's IP and its own port.
    const std::uint16_t pa = port_of(a);
    const std::uint16_t pb = port_of(b);
    // A's first datagram opens A's router but dies at B's (B has not sent yet).
    REQUIRE(send_to(a, nat_internet::router_b_public_ip, pb, "a1"));
    CHECK_FALSE(receive(b, std::chrono::milliseconds(300)));
    // B's datagram now finds A's hole, and opens B's router for A's next one.
    REQUIRE(send_to(b, nat_internet::router_a_public_ip, pa, "b1"));
    auto at_a = receive(a, std::chrono::milliseconds(1000));
    REQUIRE(send_to(a, nat_internet::router_b_public_ip, pb, "a2"));
    auto at_b = receive(b, std::chrono::milliseconds(1000));
    if (mapping == nat_mapping::endpoint_independent) {
      REQUIRE(at_a);
      CHECK(at_a->payload == "b1");
      CHECK(at_a->from == std::string(nat_internet::router_b_public_ip) + ":" + std::to_string(pb));
      REQUIRE(at_b);
      CHECK(at_b->payload == "a2");
      CHECK(at_b->from == std::string(nat_internet::router_a_public_ip) + ":" + std::to_string(pa));
    } else {
      // Each flow left from a random port the other side cannot know, so
      // neither hole matches what arrives: only a relay gets through.
      CHECK_FALSE(at_a);
      CHECK_FALSE(at_b);
    }
  }
}

TEST_CASE("nat internet: leaves nothing behind", "[integration][root][nat]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  std::vector<std::string> names;
  {
    nat_internet net(nat_mapping::endpoint_independent);
    REQUIRE(net.ok());
    REQUIRE(net.start_coturn());
    for (const network_namespace* ns :
         {&net.public_ns(), &net.router_a(), &net.router_b(), &net.node_a(), &net.node_b()})
      names.push_back(ns->name());
  }
  for (const std::string& name : names)
    CHECK(std::system(("ip netns list | grep -qw " + name).c_str()) != 0);
}
