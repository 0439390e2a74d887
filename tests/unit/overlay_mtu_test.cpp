// The overlay MTU from the underlay's: WireGuard's 80 bytes off, never
// below what the overlay's family needs.
#include <catch2/catch.hpp>

#include "net/overlay_mtu.hpp"

using overlayd::net::ip_address;
using overlayd::net::overlay_mtu_for;

TEST_CASE("overlay mtu: the underlay's minus 80, within the family's minimum", "[mtu]") {
  CHECK(overlay_mtu_for(1500, ip_address::family::v4) == 1420);
  CHECK(overlay_mtu_for(9000, ip_address::family::v4) == 8920);
  CHECK(overlay_mtu_for(1280, ip_address::family::v4) == 1200);
  // IPv6 needs 1280: a smaller underlay carries it in fragments.
  CHECK(overlay_mtu_for(1280, ip_address::family::v6) == 1280);
  CHECK(overlay_mtu_for(1360, ip_address::family::v6) == 1280);
  CHECK(overlay_mtu_for(1400, ip_address::family::v6) == 1320);
  CHECK(overlay_mtu_for(600, ip_address::family::v4) == 576);
  CHECK(overlay_mtu_for(0, ip_address::family::v4) == 576);
}
