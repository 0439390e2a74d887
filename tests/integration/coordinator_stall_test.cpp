// The coordinator never stalls (issue 11): while a NatTick waits on a STUN
// server that never answers, requests on another connection that touch
// other resources are answered at once; before, each waited out the tick.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <future>
#include <string>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "net/base/unique_fd.hpp"

namespace msg = overlayd::msg;
using overlayd::app::client_connection;
using overlayd::testing::daemon_process;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
using clock_type = std::chrono::steady_clock;

namespace {

// A UDP socket in `ns` that is never read: STUN requests to it go
// unanswered (no port-unreachable either), as from a server that hangs.
overlayd::unique_fd silent_server(const network_namespace& ns, std::uint16_t& port) {
  overlayd::unique_fd fd;
  ns.enter([&] {
    fd.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof at;
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&at), len) == 0);
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&at), &len) == 0);
    port = ntohs(at.sin_port);
  });
  return fd;
}

double millis_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

} // namespace

TEST_CASE("requests answer at once while a nat_tick waits on a silent STUN server",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace ns("stall");
  REQUIRE(ns.ok());
  std::uint16_t port = 0;
  auto server = silent_server(ns, port);
  temp_dir dir;
  daemon_process daemon(dir.path(), {}, &ns);
  REQUIRE(daemon.started());
  auto ticking = client_connection::connect(daemon.socket_path());
  auto asking = client_connection::connect(daemon.socket_path());
  REQUIRE(ticking.ok());
  REQUIRE(asking.ok());

  msg::nat_config_spec nat;
  nat.enabled = true;
  nat.stun_servers = {"127.0.0.1:" + std::to_string(port)};
  auto up = ticking->call(msg::setup_global_overlay{"prod", "st4l", "10.200.0.0/16",
                                                     "10.200.3.0/24", 51820, false, nat, {}});
  REQUIRE(up.ok());
  REQUIRE(std::holds_alternative<msg::bridge_name>(*up));

  auto tick_started = clock_type::now();
  auto tick = std::async(std::launch::async, [&] { return ticking->call(msg::nat_tick{}); });
  // Let the tick reach the STUN exchange.
  REQUIRE(tick.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);

  double slowest_status = 0;
  for (int i = 0; i < 100; ++i) {
    auto start = clock_type::now();
    auto status = asking->call(msg::status{});
    slowest_status = std::max(slowest_status, millis_since(start));
    REQUIRE(status.ok());
    REQUIRE(std::holds_alternative<msg::status_snapshot>(*status));
    CHECK(std::get<msg::status_snapshot>(*status).interface == std::string("zl-prod-st4l-g"));
  }
  auto start = clock_type::now();
  auto nat_status = asking->call(msg::nat_status{});
  const double nat_status_ms = millis_since(start);
  start = clock_type::now();
  auto address = asking->call(msg::allocate_ip{"web", false});
  const double allocate_ms = millis_since(start);

  // All of that happened while the tick still waited.
  CHECK(tick.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
  INFO("slowest status " << slowest_status << " ms, nat_status " << nat_status_ms
                         << " ms, allocate_ip " << allocate_ms << " ms");
  CHECK(slowest_status < 100);
  CHECK(nat_status_ms < 100);
  CHECK(allocate_ms < 100);
  REQUIRE(nat_status.ok());
  CHECK(std::holds_alternative<msg::nat_status_wire>(*nat_status));
  REQUIRE(address.ok());
  REQUIRE(std::holds_alternative<msg::ip_result>(*address));
  CHECK(std::get<msg::ip_result>(*address).ip.to_string() == "10.200.3.2");

  // The tick itself ends with the spec's error once the STUN wait is over.
  REQUIRE(tick.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto ticked = tick.get();
  REQUIRE(ticked.ok());
  REQUIRE(std::holds_alternative<msg::error_result>(*ticked));
  CHECK(std::get<msg::error_result>(*ticked).message.find("no answer within 3000 ms")
        != std::string::npos);
  CHECK(millis_since(tick_started) >= 2900);
}
