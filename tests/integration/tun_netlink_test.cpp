// platform/: a TUN device and its address, MTU, route and link state,
// made over netlink inside a namespace the test creates (root only).
#include <catch2/catch.hpp>

#include "netns.hpp"
#include "platform/netlink.hpp"
#include "platform/tun_device.hpp"

using overlayd::net::cidr;
using overlayd::testing::network_namespace;
namespace platform = overlayd::platform;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("tun device: created, addressed, routed, up; gone when closed",
          "[integration][root]") {
  if (!overlayd::testing::running_as_root()) {
    WARN("skipped: needs root (network namespaces)");
    return;
  }
  network_namespace ns("tun");
  REQUIRE(ns.ok());
  ns.enter([&] {
    auto tun = platform::tun_device::create("zl-test-g");
    REQUIRE(tun.ok());
    CHECK(tun->name() == "zl-test-g");
    CHECK(platform::link_exists("zl-test-g"));
    REQUIRE(platform::add_address("zl-test-g", *cidr::parse("10.200.0.1/16")).ok());
    // Again: an existing address counts as added.
    REQUIRE(platform::add_address("zl-test-g", *cidr::parse("10.200.0.1/16")).ok());
    REQUIRE(platform::set_link_mtu("zl-test-g", 1420).ok());
    REQUIRE(platform::set_link_up("zl-test-g").ok());
    REQUIRE(platform::add_link_route("zl-test-g", *cidr::parse("10.201.0.0/16")).ok());
    REQUIRE(platform::add_link_route("zl-test-g", *cidr::parse("10.201.0.0/16")).ok());

    auto link = ns.output_of("ip -o link show zl-test-g");
    CHECK(contains(link, "mtu 1420"));
    CHECK(contains(link, ",UP"));
    CHECK(contains(ns.output_of("ip -o addr show dev zl-test-g"), "inet 10.200.0.1/16"));
    CHECK(contains(ns.output_of("ip route show dev zl-test-g"), "10.201.0.0/16 scope link"));

    auto missing = platform::set_link_up("zl-nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(contains(missing.error_message(), "set_link_up(zl-nope): "));
    CHECK_FALSE(platform::tun_device::create("zl-sixteen-chars").ok());

    tun->close();
    CHECK_FALSE(platform::link_exists("zl-test-g"));
    CHECK(platform::delete_link("zl-test-g").ok()); // missing counts as deleted
  });
}
