// The daemon's flags: paths derived from the data dir as the original does.
#include <catch2/catch.hpp>

#include "app/daemon_options.hpp"

using overlayd::app::parse_daemon_options;

namespace {

overlayd::app::daemon_options parsed(std::vector<std::string> args) {
  std::string error;
  auto options = parse_daemon_options(args, error);
  INFO(error);
  REQUIRE(options);
  return *options;
}

} // namespace

TEST_CASE("daemon options: UAPI sockets live under a non-default data dir", "[options]") {
  auto options = parsed({"--data-dir", "/srv/zl"});
  CHECK(options.uapi_dir == "/srv/zl/run/wireguard");
  CHECK(options.socket_path == "/srv/zl/run/zlayer-overlayd.sock");
  // Two daemons with two data dirs never share a UAPI directory.
  CHECK(parsed({"--data-dir", "/srv/other"}).uapi_dir == "/srv/other/run/wireguard");
}

TEST_CASE("daemon options: --uapi-dir wins over the derived directory", "[options]") {
  auto options = parsed({"--data-dir", "/srv/zl", "--uapi-dir", "/var/run/wireguard"});
  CHECK(options.uapi_dir == "/var/run/wireguard");
  CHECK(parsed({"--uapi-dir=/tmp/wg", "--data-dir=/srv/zl"}).uapi_dir == "/tmp/wg");
}

TEST_CASE("daemon options: a flag without its value is an error naming it", "[options]") {
  std::string error;
  CHECK_FALSE(parse_daemon_options({"--uapi-dir"}, error));
  CHECK(error == "--uapi-dir needs a value");
}

TEST_CASE("daemon options: the socket's limits take numbers in range", "[options]") {
  auto options = parsed({"--max-connections", "50", "--idle-timeout=0",
                         "--partial-frame-timeout", "5", "--max-document-values=1000"});
  CHECK(options.max_connections == std::uint64_t{50});
  CHECK(options.idle_timeout == std::uint64_t{0});
  CHECK(options.partial_frame_timeout == std::uint64_t{5});
  CHECK(options.max_document_values == std::uint64_t{1000});
  CHECK_FALSE(parsed({}).max_connections);
  std::string error;
  CHECK_FALSE(parse_daemon_options({"--max-connections", "0"}, error));
  CHECK(error == "--max-connections needs a number from 1 to 1048576, not '0'");
  CHECK_FALSE(parse_daemon_options({"--max-document-depth", "200"}, error));
  CHECK(error == "--max-document-depth needs a number from 4 to 128, not '200'");
  CHECK_FALSE(parse_daemon_options({"--write-stall-timeout"}, error));
  CHECK(error == "--write-stall-timeout needs a value");
}

TEST_CASE("daemon options: the DNS responder is off unless a listen address is given",
          "[options][dns]") {
  auto none = parsed({"--data-dir", "/srv/zl"});
  CHECK(none.dns_listen.empty());
  CHECK_FALSE(none.dns_overlay_port);
  CHECK(none.dns_zone == "overlay.local.");
  CHECK_FALSE(none.dns_ttl);
  CHECK(none.dns_resolv_conf == "/etc/resolv.conf");

  auto o = parsed({"--dns-listen", "127.0.0.1:5353", "--dns-listen=[::1]:53", "--dns-listen",
                   "overlay:15353", "--dns-zone", "corp.internal", "--dns-ttl", "60",
                   "--dns-upstream", "192.0.2.1", "--dns-upstream", "[fd00::1]:5300",
                   "--dns-resolv-conf", "/tmp/resolv.conf"});
  REQUIRE(o.dns_listen.size() == 2);
  CHECK(o.dns_listen[0].to_string() == "127.0.0.1:5353");
  CHECK(o.dns_listen[1].to_string() == "[::1]:53");
  CHECK(o.dns_overlay_port == 15353);
  CHECK(o.dns_zone == "corp.internal.");
  CHECK(o.dns_ttl == 60u);
  REQUIRE(o.dns_upstreams.size() == 2);
  CHECK(o.dns_upstreams[0].to_string() == "192.0.2.1:53");
  CHECK(o.dns_upstreams[1].to_string() == "[fd00::1]:5300");
  CHECK(o.dns_resolv_conf == "/tmp/resolv.conf");

  std::string error;
  CHECK_FALSE(parse_daemon_options({"--dns-listen", "localhost:53"}, error));
  CHECK(error.find("--dns-listen needs ADDR:PORT or overlay:PORT") == 0);
  CHECK_FALSE(parse_daemon_options({"--dns-listen", "overlay:0"}, error));
  CHECK_FALSE(parse_daemon_options({"--dns-upstream", "dns.example"}, error));
  CHECK_FALSE(parse_daemon_options({"--dns-zone", "a..b"}, error));
}

TEST_CASE("daemon options: --threads takes 1 to 64 crypto threads", "[options]") {
  CHECK(parsed({"--threads", "3"}).threads == std::uint64_t{3});
  CHECK_FALSE(parsed({}).threads); // the default for the machine's cores
  std::string error;
  CHECK_FALSE(parse_daemon_options({"--threads", "0"}, error));
  CHECK(error == "--threads needs a number from 1 to 64, not '0'");
}
