// The ipam actor seen through requests: slice binding across repeated
// SetupGlobalOverlay calls, release rules, and the state file at start.
#include <fstream>
#include <sstream>

#include "embedded_helpers.hpp"
#include "support/files.hpp"

namespace msg = overlayd::msg;
using overlayd::testing::error_of;
using overlayd::testing::confined_daemon;
using overlayd::testing::confinement;
using overlayd::testing::scratch_dir;
using overlayd::testing::wait;

using overlayd::testing::read_file;

namespace {

msg::setup_global_overlay setup_with(std::string cluster, std::optional<std::string> slice) {
  return msg::setup_global_overlay{"prod", "a1b2", std::move(cluster), std::move(slice), 51820,
                                   false, {}, {}};
}

std::string node_ip_of(overlayd::embedded_daemon& d) {
  auto s = std::get<msg::status_snapshot>(wait(d.call(msg::status{})));
  return s.node_ip ? s.node_ip->to_string() : "(none)";
}

std::string allocate(overlayd::embedded_daemon& d) {
  auto r = wait(d.call(msg::allocate_ip{"web", false}));
  REQUIRE(std::holds_alternative<msg::ip_result>(r));
  return std::get<msg::ip_result>(r).ip.to_string();
}

} // namespace

TEST_CASE("setup again: same slice keeps leases, no slice keeps the slice", "[ipam]") {
  confined_daemon node;
  auto& d = *node;

  wait(d.call(setup_with("10.200.0.0/16", "10.200.4.0/24")));
  CHECK(node_ip_of(d) == "10.200.4.1");
  CHECK(allocate(d) == "10.200.4.2");

  // The same slice again: the lease survives, the next address follows it.
  wait(d.call(setup_with("10.200.0.0/16", "10.200.4.0/24")));
  CHECK(allocate(d) == "10.200.4.3");

  // No slice: the bound slice stays (as the original), and so does the
  // slice the status reports.
  wait(d.call(setup_with("10.200.0.0/16", std::nullopt)));
  auto s = std::get<msg::status_snapshot>(wait(d.call(msg::status{})));
  CHECK(s.slice_cidr == std::string("10.200.4.0/24"));
  CHECK(allocate(d) == "10.200.4.4");
}

TEST_CASE("setup: slice errors name the slice and the cluster", "[ipam]") {
  confined_daemon node;
  auto& d = *node;
  CHECK(error_of(wait(d.call(setup_with("10.200.0.0/16", "10.9.0.0/24"))))
        == "invalid slice CIDR 10.9.0.0/24: not inside cluster CIDR 10.200.0.0/16");
  CHECK(error_of(wait(d.call(setup_with("10.200.0.0/16", "10.200.0.0/12"))))
        == "invalid slice CIDR 10.200.0.0/12: not inside cluster CIDR 10.200.0.0/16");
  CHECK(error_of(wait(d.call(setup_with("fd00::/48", "10.200.0.0/24"))))
        == "invalid slice CIDR 10.200.0.0/24: not inside cluster CIDR fd00::/48");
  CHECK(error_of(wait(d.call(setup_with("10.200.0.0/16", "10.200.0.0/24x"))))
          .rfind("invalid slice CIDR 10.200.0.0/24x: ", 0)
        == 0);
  // Nothing was bound by the refused requests.
  CHECK(node_ip_of(d) == "(none)");

  // A new cluster without a slice moves off a slice outside it.
  wait(d.call(setup_with("10.50.0.0/16", std::nullopt)));
  CHECK(node_ip_of(d) == "10.50.0.1");
}

TEST_CASE("release: foreign and node addresses change nothing", "[ipam]") {
  confined_daemon node;
  auto& d = *node;
  wait(d.call(setup_with("10.200.0.0/16", "10.200.8.0/29")));
  CHECK(allocate(d) == "10.200.8.2");
  for (const char* ip : {"192.168.1.1", "10.200.8.1", "10.200.8.6", "fd00::1"}) {
    INFO(ip);
    auto r = wait(d.call(msg::release_ip{*overlayd::net::ip_address::parse(ip)}));
    CHECK(std::holds_alternative<msg::ok_result>(r));
  }
  // None of them entered the pool: the next address is still the counter's.
  CHECK(allocate(d) == "10.200.8.3");
}

TEST_CASE("start: a damaged state file is kept aside and its good entries stay",
          "[ipam][state]") {
  scratch_dir dir;
  confinement host(dir);
  const std::string path = dir.path() + "/agent_network.json";
  const std::string damaged = R"({
  "version": 1,
  "networks": [
    {"owner": "service:web", "kind": "wg-dedicated", "name": "zl-web-d", "id": "a2V5",
     "subnet": "10.200.187.128/26", "wg_port": 51421},
    {"kind": "wg-dedicated"}
  ]
})";
  std::ofstream(path) << damaged;
  {
    auto daemon = overlayd::embedded_daemon::start(host.options(dir.path()));
    REQUIRE(daemon.ok());
    // A request that reaches the ipam actor: it has loaded the file by then.
    wait((*daemon)->call(setup_with("10.200.0.0/16", std::nullopt)));
  }
  CHECK(read_file(path + ".corrupt") == damaged);
  auto rewritten = read_file(path);
  CHECK(rewritten.find("\"owner\": \"service:web\"") != std::string::npos);
  CHECK(rewritten.find("\"wg_port\": 51421") != std::string::npos);
  CHECK(rewritten.find("\"kind\": \"wg-dedicated\"}") == std::string::npos);
}
