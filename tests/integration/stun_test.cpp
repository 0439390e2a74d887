// STUN from the WireGuard device's own socket against coturn, Debian's real
// STUN server, in namespaces the test creates (root only).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <thread>

#include "net/endpoint.hpp"
#include "netns.hpp"
#include "platform/wg_device.hpp"

using namespace overlayd;
using overlayd::testing::network_namespace;

TEST_CASE("stun: coturn sees the WireGuard socket's own address and port",
          "[integration][root]") {
  if (!overlayd::testing::running_as_root()) {
    WARN("skipped: needs root (network namespaces, TUN)");
    return;
  }
  network_namespace node("stun-node");
  network_namespace server("stun-server");
  REQUIRE(node.ok());
  REQUIRE(server.ok());
  REQUIRE(overlayd::testing::connect_namespaces(node, "192.168.81.1/24", server,
                                                "192.168.81.2/24"));
  REQUIRE(server.run("turnserver -n --stun-only --no-cli -L 192.168.81.2 -p 3478 "
                     "--log-file stdout >/dev/null 2>&1 &") == 0);
  const std::string name = "ovds" + std::to_string(::getpid() % 100000);
  char pattern[] = "/tmp/overlayd-stun-XXXXXX";
  std::string uapi = ::mkdtemp(pattern);
  std::unique_ptr<platform::wg_device> device;
  node.enter([&] {
    platform::wg_device_options options;
    options.interface = name;
    options.uapi_directory = uapi;
    auto made = platform::wg_device::create(options);
    if (made)
      device = std::move(*made);
  });
  REQUIRE(device);
  const auto stun_server = *net::parse_endpoint("192.168.81.2:3478");
  result<net::endpoint> seen = make_error("not asked");
  for (int attempt = 0; attempt < 20 && !seen; ++attempt) { // coturn takes a moment to start
    seen = device->stun_binding(stun_server, std::chrono::milliseconds(250));
  }
  REQUIRE(seen.ok());
  CHECK(seen->to_string() == "192.168.81.1:" + std::to_string(device->listen_port()));
  // Nobody answers there: a clear timeout, not a hang.
  auto silent = device->stun_binding(*net::parse_endpoint("192.168.81.2:3479"),
                                     std::chrono::milliseconds(200));
  REQUIRE_FALSE(silent.ok());
  CHECK(silent.error_message() == "stun(192.168.81.2:3479): no answer within 200 ms");
  device.reset();
  ::rmdir(uapi.c_str());
}
