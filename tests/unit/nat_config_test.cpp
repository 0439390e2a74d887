// NatConfigSpec -> NAT config: the spec's defaults, except that nothing
// outside is contacted unless configured (DECISIONS 5).
#include <catch2/catch.hpp>

#include "net/nat/nat_config.hpp"

using namespace overlayd;
using namespace std::chrono_literals;

TEST_CASE("nat config: the default contacts no STUN server", "[nat]") {
  auto config = net::nat::default_nat_config();
  CHECK(config.enabled);
  CHECK(config.stun_servers.empty());
  CHECK(config.hole_punch_timeout == 15s);
  CHECK(config.stun_refresh_interval == 60s);
  CHECK(config.max_candidate_pairs == 10);
  CHECK_FALSE(config.relay_server);
}

TEST_CASE("nat config: zeros take defaults, values are kept, the credential is not", "[nat]") {
  msg::nat_config_spec spec;
  spec.enabled = true;
  spec.stun_servers = {"198.51.100.1:3478"};
  spec.turn_servers = {{"198.51.100.2:3478", "u", "p"}};
  spec.hole_punch_timeout_secs = 0;
  spec.stun_refresh_interval_secs = 30;
  spec.max_candidate_pairs = 0;
  spec.relay_server = msg::relay_server_spec{3478, "203.0.113.1:3478", 0, std::string("secret")};
  auto config = net::nat::nat_config_from_spec(spec);
  CHECK(config.enabled);
  CHECK(config.stun_servers == std::vector<std::string>{"198.51.100.1:3478"});
  REQUIRE(config.turn_servers.size() == 1);
  CHECK(config.turn_servers[0].username == "u");
  CHECK(config.hole_punch_timeout == 15s);
  CHECK(config.stun_refresh_interval == 30s);
  CHECK(config.max_candidate_pairs == 10);
  REQUIRE(config.relay_server);
  CHECK(config.relay_server->max_sessions == 100);
  CHECK(config.relay_server->external_addr == "203.0.113.1:3478");

  msg::nat_config_spec off;
  CHECK_FALSE(net::nat::nat_config_from_spec(off).enabled);
  CHECK(net::nat::nat_config_from_spec(off).stun_servers.empty());
}
