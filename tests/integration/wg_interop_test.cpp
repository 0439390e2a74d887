// Our WireGuard device against stock wireguard-go and wg, in two
// namespaces joined by a veth: ping both ways, a TCP transfer, `wg show` on
// our UAPI socket, and recovery after the peer restarts (root only).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <memory>
#include <regex>

#include "net/wireguard/keys.hpp"
#include "netns.hpp"
#include "platform/addresses.hpp"
#include "platform/netlink.hpp"
#include "platform/wg_device.hpp"
#include "wireguard_go_peer.hpp"

using namespace overlayd;
using overlayd::testing::network_namespace;
using overlayd::testing::wireguard_go_peer;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Our device inside `ns`: its threads are started from a thread inside
// the namespace, so they live there too.
std::unique_ptr<platform::wg_device> device_in(const network_namespace& ns,
                                               const std::string& name,
                                               const net::wg::key32& private_key,
                                               const net::wg::key32& peer_key,
                                               const std::string& peer_endpoint,
                                               const net::wg::timing& timing) {
  std::unique_ptr<platform::wg_device> device;
  ns.enter([&] {
    platform::wg_device_options options;
    options.timing = timing;
    options.interface = name;
    options.uapi_directory = ns.run_dir() + "/wireguard"; // where `wg` in ns looks
    auto made = platform::wg_device::create(options);
    REQUIRE(made.ok());
    device = std::move(*made);
    net::wg::uapi_set_request set;
    set.private_key = private_key;
    set.listen_port = 51820;
    net::wg::uapi_peer_config peer;
    peer.public_key = peer_key;
    peer.endpoint = net::parse_endpoint(peer_endpoint);
    peer.allowed_ips = {*net::cidr::parse("10.77.0.2/32")};
    set.peers.push_back(peer);
    REQUIRE(device->configure(set).code == net::wg::uapi_errno::ok);
    REQUIRE(platform::add_address(name, *net::cidr::parse("10.77.0.1/24")).ok());
    REQUIRE(platform::set_link_mtu(name, 1420).ok());
    REQUIRE(platform::set_link_up(name).ok());
  });
  return device;
}

} // namespace

TEST_CASE("wireguard interop: overlayd device <-> stock wireguard-go", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace ours("wgo-a");
  network_namespace theirs("wgo-b");
  REQUIRE(ours.ok());
  REQUIRE(theirs.ok());
  REQUIRE(overlayd::testing::connect_namespaces(ours, "192.168.77.1/24", theirs,
                                                "192.168.77.2/24"));
  const std::string our_name = "ovd" + std::to_string(::getpid() % 100000) + "a";
  const std::string their_name = "ovd" + std::to_string(::getpid() % 100000) + "b";

  wireguard_go_peer peer(theirs, their_name, 51820, "10.77.0.2/24");
  REQUIRE(peer.ok());
  auto our_key = net::wg::generate_private_key();
  auto our_public = net::wg::key_to_base64(net::wg::public_key_from_private(our_key));
  auto their_key = net::wg::key_from_base64(peer.public_key());
  REQUIRE(their_key.ok());
  REQUIRE(peer.add_peer(our_public, "192.168.77.1:51820", "10.77.0.1/32"));
  // Sessions rotate every 3 s instead of every 2 minutes.
  net::wg::timing fast;
  fast.rekey_after_time = std::chrono::seconds(3);
  fast.reject_after_time = std::chrono::seconds(5);
  auto device = device_in(ours, our_name, our_key, *their_key, "192.168.77.2:51820", fast);
  REQUIRE(device);

  SECTION("ping both ways, then wg show on our socket") {
    CHECK(ours.run("ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null") == 0);
    CHECK(theirs.run("ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null") == 0);
    auto shown = ours.output_of("wg show " + our_name);
    CHECK(contains(shown, "peer: " + peer.public_key()));
    CHECK(contains(shown, "endpoint: 192.168.77.2:51820"));
    CHECK(contains(shown, "allowed ips: 10.77.0.2/32"));
    CHECK(contains(shown, "latest handshake: "));
    auto stamps = ours.output_of("wg show " + our_name + " latest-handshakes");
    auto seconds = std::stoll(stamps.substr(stamps.find('\t') + 1));
    CHECK(std::abs(seconds - static_cast<long long>(::time(nullptr))) < 30);
    // wg set changes a peer in place (DECISIONS 19).
    CHECK(ours.run("wg set " + our_name + " peer " + peer.public_key()
                   + " allowed-ips 10.77.0.2/32,10.88.0.0/16 persistent-keepalive 25")
          == 0);
    auto conf = ours.output_of("wg showconf " + our_name);
    CHECK(contains(conf, "AllowedIPs = 10.77.0.2/32, 10.88.0.0/16"));
    CHECK(contains(conf, "PersistentKeepalive = 25"));
    CHECK(ours.run("ping -c 1 -W 2 10.77.0.2 >/dev/null") == 0);
  }

  SECTION("a 5 s TCP transfer completes") {
    REQUIRE(theirs.run("iperf3 -s -1 -D -B 10.77.0.2 >/dev/null 2>&1") == 0);
    ::usleep(300'000);
    auto report = ours.output_of("iperf3 -c 10.77.0.2 -t 5 -f m 2>&1");
    INFO(report);
    CHECK(contains(report, "receiver"));
    std::smatch m;
    REQUIRE(std::regex_search(report, m, std::regex(R"(([0-9.]+) Mbits/sec\s+receiver)")));
    CHECK(std::stod(m[1]) > 1.0);
  }

  SECTION("sessions rotate under traffic without losing it") {
    auto handshake_time = [&] {
      auto line = ours.output_of("wg show " + our_name + " latest-handshakes");
      return std::stoll(line.substr(line.find('\t') + 1));
    };
    REQUIRE(ours.run("ping -c 1 -W 2 10.77.0.2 >/dev/null") == 0);
    auto first = handshake_time();
    // 8 s of pings across at least two rotations; at most one may be lost
    // while a new session is confirmed.
    auto report = ours.output_of("ping -c 40 -i 0.2 -W 1 10.77.0.2");
    INFO(report);
    std::smatch m;
    REQUIRE(std::regex_search(report, m, std::regex(R"(([0-9]+) received)")));
    CHECK(std::stoi(m[1]) >= 39);
    CHECK(handshake_time() >= first + 3);
  }

  SECTION("the tunnel recovers after the peer restarts") {
    REQUIRE(ours.run("ping -c 1 -W 2 10.77.0.2 >/dev/null") == 0);
    peer.stop();
    CHECK(ours.run("ping -c 1 -W 1 10.77.0.2 >/dev/null") != 0);
    REQUIRE(peer.start());
    REQUIRE(peer.add_peer(our_public, "192.168.77.1:51820", "10.77.0.1/32"));
    // Our side still holds the old session; the new peer answers its
    // data with nothing until our side handshakes again, which the
    // timers do after keepalive + rekey timeouts (15 s).
    bool back = false;
    for (int i = 0; i < 25 && !back; ++i)
      back = ours.run("ping -c 1 -W 1 10.77.0.2 >/dev/null") == 0;
    CHECK(back);
  }
}
