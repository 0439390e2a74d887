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
