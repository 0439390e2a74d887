// platform/: a TUN device and its address, MTU, route and link state,
// made over netlink inside a namespace the test creates (root only).
#include <catch2/catch.hpp>

#include "netns.hpp"
#include "platform/egress.hpp"
#include "platform/host_candidates.hpp"
#include "platform/addresses.hpp"
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
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
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

TEST_CASE("egress: the default route's physical link and its address", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace ns("egress");
  REQUIRE(ns.ok());
  REQUIRE(ns.run("ip link add veth-x type veth peer name veth-y && ip link set veth-x up && "
                 "ip addr add 192.0.2.9/24 dev veth-x") == 0);
  ns.enter([&] {
    // Only a virtual link and no route out: nothing to find.
    CHECK_FALSE(platform::detect_physical_egress().ok());
    CHECK(platform::wireguard_bind_address(*overlayd::net::ip_address::parse("10.200.0.1"))
            .to_string()
          == "0.0.0.0");
  });
  // veth pairs stand in for NICs (no dummy module here); only the name
  // decides what counts as physical.
  REQUIRE(ns.run("ip link add eth7 type veth peer name p7 && ip link set eth7 up && "
                 "ip link set p7 up && ip addr add 198.51.100.5/24 dev eth7 && "
                 "ip link add eth8 type veth peer name p8 && ip link set eth8 up && "
                 "ip link set p8 up && ip addr add 203.0.113.5/24 dev eth8 && "
                 "ip route add default via 203.0.113.1 dev eth8") == 0);
  ns.enter([&] {
    auto found = platform::detect_physical_egress();
    REQUIRE(found.ok());
    CHECK(found->interface == "eth8"); // the default route's, not the first link's
    CHECK(found->address.to_string() == "203.0.113.5");
    CHECK(platform::wireguard_bind_address(*overlayd::net::ip_address::parse("fd00::1"))
            .to_string()
          == "::"); // families differ
  });
}

TEST_CASE("egress: virtual interface names", "[integration]") {
  for (const char* name : {"lo", "wg0", "zl-abc-g", "veth-1-s", "docker0", "br-x", "tun3"})
    CHECK(platform::is_virtual_interface(name));
  for (const char* name : {"eth0", "ens3", "enp0s1", "wlan0", "bond0"})
    CHECK_FALSE(platform::is_virtual_interface(name));
}

TEST_CASE("host candidates: the egress address at the WireGuard port", "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace ns("hostcand");
  REQUIRE(ns.ok());
  ns.enter([&] { CHECK(platform::gather_host_candidates(51820).empty()); });
  REQUIRE(ns.run("ip link add eth9 type veth peer name p9 && ip link set eth9 up && "
                 "ip link set p9 up && ip addr add 203.0.113.9/24 dev eth9 && "
                 "ip route add default via 203.0.113.1 dev eth9") == 0);
  ns.enter([&] {
    // Only non-throwing checks on the namespace's thread.
    auto found = platform::gather_host_candidates(51820);
    CHECK(found.size() == 1); // no IPv6 route out
    if (found.size() == 1) {
      CHECK(found[0].type == overlayd::net::nat::candidate_type::host);
      CHECK(found[0].address.to_string() == "203.0.113.9:51820");
      CHECK(found[0].priority == overlayd::net::nat::host_priority);
    }
  });
}
