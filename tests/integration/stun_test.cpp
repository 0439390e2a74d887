// STUN from the WireGuard device's own socket against coturn, Debian's real
// STUN server, in namespaces the test creates (root only).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <thread>

#include "net/base/endpoint.hpp"
#include "netns.hpp"
#include "platform/wg_device.hpp"

using namespace overlayd;
using overlayd::testing::network_namespace;

namespace {

// A WireGuard device inside `node` (its UAPI socket in a scratch dir),
// removed with the fixture.
struct device_in_namespace {
  device_in_namespace(const network_namespace& node, const std::string& name) {
    char pattern[] = "/tmp/overlayd-stun-XXXXXX";
    uapi = ::mkdtemp(pattern);
    node.enter([&] {
      platform::wg_device_options options;
      options.interface = name;
      options.uapi_directory = uapi;
      auto made = platform::wg_device::create(options);
      if (made)
        device = std::move(*made);
    });
  }
  ~device_in_namespace() {
    device.reset();
    ::rmdir(uapi.c_str());
  }

  // coturn takes a moment to start: asks until it answers (5 s at most).
  result<net::endpoint> binding(const char* server) {
    result<net::endpoint> seen = make_error("not asked");
    for (int attempt = 0; attempt < 20 && !seen; ++attempt)
      seen = device->stun_binding(*net::parse_endpoint(server), std::chrono::milliseconds(250));
    return seen;
  }

  std::string uapi;
  std::unique_ptr<platform::wg_device> device;
};

std::string unique_name(const char* prefix) {
  return prefix + std::to_string(::getpid() % 10000);
}

} // namespace

TEST_CASE("stun: coturn sees the WireGuard socket's own address and port",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace node("stun-node");
  network_namespace server("stun-server");
  REQUIRE(node.ok());
  REQUIRE(server.ok());
  REQUIRE(overlayd::testing::connect_namespaces(node, "192.168.81.1/24", server,
                                                "192.168.81.2/24"));
  REQUIRE(server.run("turnserver -n --stun-only --no-cli -L 192.168.81.2 -p 3478 "
                     "--log-file stdout >/dev/null 2>&1 &") == 0);
  device_in_namespace wg(node, unique_name("ovds"));
  REQUIRE(wg.device);
  auto seen = wg.binding("192.168.81.2:3478");
  REQUIRE(seen.ok());
  CHECK(seen->to_string() == "192.168.81.1:" + std::to_string(wg.device->listen_port()));
  // Nobody answers there: a clear timeout, not a hang.
  auto silent = wg.device->stun_binding(*net::parse_endpoint("192.168.81.2:3479"),
                                        std::chrono::milliseconds(200));
  REQUIRE_FALSE(silent.ok());
  CHECK(silent.error_message() == "stun(192.168.81.2:3479): no answer within 200 ms");
}

TEST_CASE("stun: over IPv6 coturn sees the socket's IPv6 address and port",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace node("stun6-node");
  network_namespace server("stun6-server");
  REQUIRE(node.ok());
  REQUIRE(server.ok());
  // nodad: usable at once.
  REQUIRE(overlayd::testing::connect_namespaces(node, "fd81::1/64 nodad", server,
                                                "fd81::2/64 nodad"));
  REQUIRE(server.run("turnserver -n --stun-only --no-cli -L fd81::2 -p 3478 "
                     "--log-file stdout >/dev/null 2>&1 &") == 0);
  device_in_namespace wg(node, unique_name("ovd6s"));
  REQUIRE(wg.device);
  auto seen = wg.binding("[fd81::2]:3478");
  REQUIRE(seen.ok());
  CHECK(seen->to_string() == "[fd81::1]:" + std::to_string(wg.device->listen_port()));
}
