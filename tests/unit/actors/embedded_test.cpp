// The embedding API: the actor system in-process, requests as typed calls.
#include <sys/stat.h>

#include <cstdlib>
#include <thread>

#include "embedded_helpers.hpp"

namespace msg = overlayd::msg;
using overlayd::testing::confined_daemon;
using overlayd::testing::wait;

TEST_CASE("an embedded daemon answers typed calls without a socket", "[embedded]") {
  confined_daemon node("/data");
  auto& d = *node;

  auto fresh = wait(d.call(msg::status{}));
  REQUIRE(std::holds_alternative<msg::status_snapshot>(fresh));
  CHECK(std::get<msg::status_snapshot>(fresh).overlay_cidr == std::string("10.200.0.0/16"));
  CHECK_FALSE(std::get<msg::status_snapshot>(fresh).node_ip);

  msg::setup_global_overlay setup{"prod", "a1b2", "10.200.0.0/16", "10.200.0.0/30", 51820,
                                  false, {}, {}};
  wait(d.call(setup));
  auto status = std::get<msg::status_snapshot>(wait(d.call(msg::status{})));
  REQUIRE(status.node_ip);
  CHECK(status.node_ip->to_string() == "10.200.0.1");

  // A /30 slice holds exactly one container address: .2.
  auto first = wait(d.call(msg::allocate_ip{"web", false}));
  REQUIRE(std::holds_alternative<msg::ip_result>(first));
  CHECK(std::get<msg::ip_result>(first).ip.to_string() == "10.200.0.2");
  auto exhausted = wait(d.call(msg::allocate_ip{"web", false}));
  REQUIRE(std::holds_alternative<msg::error_result>(exhausted));
  CHECK(std::get<msg::error_result>(exhausted).message.find("10.200.0.0/30")
        != std::string::npos);

  // A different slice while an address is leased is refused (DECISIONS 6).
  setup.slice_cidr = "10.200.0.8/30";
  auto conflict = wait(d.call(setup));
  REQUIRE(std::holds_alternative<msg::error_result>(conflict));
  CHECK(std::get<msg::error_result>(conflict).message.find("10.200.0.0/30")
        != std::string::npos);

  // The callback form delivers too.
  std::promise<msg::response> got;
  d.call(msg::release_ip{std::get<msg::ip_result>(first).ip},
         [&](msg::response r) { got.set_value(std::move(r)); });
  CHECK(std::holds_alternative<msg::ok_result>(wait(got.get_future())));
  // Once the lease is back, the new slice binds.
  wait(d.call(setup));
  status = std::get<msg::status_snapshot>(wait(d.call(msg::status{})));
  CHECK(status.node_ip->to_string() == "10.200.0.9");

  struct stat st {};
  CHECK(::stat((node.dir.path() + "/data").c_str(), &st) == 0);
}

TEST_CASE("an embedded daemon changes the host only through the access it is given",
          "[embedded][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  confined_daemon node("/data");
  msg::setup_global_overlay setup{"prod", "c0nf", "10.200.0.0/16", "10.200.9.0/24", 51820,
                                  false, {}, {}};
  auto up = wait(node->call(setup));
  REQUIRE(std::holds_alternative<msg::bridge_name>(up));
  const auto device = std::get<msg::bridge_name>(up).name;

  // The device is in the namespace, its UAPI socket in the scratch dir, and
  // the machine's own namespace has no such link.
  CHECK(node.host.ns()->run("ip link show " + device + " >/dev/null 2>&1") == 0);
  CHECK(std::system(("ip link show " + device + " >/dev/null 2>&1").c_str()) != 0);
  struct stat st {};
  CHECK(::stat((node.dir.path() + "/wg/" + device + ".sock").c_str(), &st) == 0);

  // The firewall rules went to the recording runner (the bridge manager
  // applies them after the answer, so wait a little).
  auto asked_iptables = [&] {
    for (const auto& line : node.host.runner->calls())
      if (line.find("iptables") != std::string::npos
          && line.find("10.200.0.0/16") != std::string::npos)
        return true;
    return false;
  };
  for (int i = 0; i < 100 && !asked_iptables(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(asked_iptables());
}
