#include <catch2/catch.hpp>

#include "net/port_band.hpp"

using overlayd::net::port_band;

TEST_CASE("port band: 256 ports above the base, lowest first, exhaustion", "[net]") {
  port_band band(51420);
  CHECK(band.first() == 51421);
  CHECK(band.last() == 51676);
  for (unsigned want = 51421; want <= 51676; ++want) {
    auto p = band.allocate();
    REQUIRE(p.ok());
    CHECK(*p == want);
  }
  auto none = band.allocate();
  REQUIRE_FALSE(none.ok());
  CHECK(none.error_message() == "dedicated-overlay port band exhausted (51421..=51676, 256 ports)");
  CHECK(band.release(51500));
  CHECK_FALSE(band.release(51500));
  CHECK_FALSE(band.is_used(51500));
  CHECK(*band.allocate() == 51500);
  CHECK_FALSE(band.allocate().ok());
}

TEST_CASE("port band: reuse after release, reserve and rehydration", "[net]") {
  port_band band(51420, {51421, 51423, 40000});
  CHECK(band.is_used(40000)); // out-of-band ports are kept
  CHECK(*band.allocate() == 51422);
  CHECK(*band.allocate() == 51424);
  band.reserve(51425);
  band.reserve(9); // no band check
  CHECK(band.is_used(9));
  CHECK(*band.allocate() == 51426);
  CHECK(band.release(51421));
  CHECK(*band.allocate() == 51421);
}

TEST_CASE("port band: saturates at 65535", "[net]") {
  port_band band(65500);
  CHECK(band.first() == 65501);
  CHECK(band.last() == 65535);
  for (int i = 0; i < 35; ++i)
    REQUIRE(band.allocate().ok());
  CHECK(band.is_used(65535));
  auto none = band.allocate();
  REQUIRE_FALSE(none.ok());
  CHECK(none.error_message() == "dedicated-overlay port band exhausted (65501..=65535, 256 ports)");
  port_band top(65535);
  CHECK(top.first() == 65535);
  CHECK(top.last() == 65535);
  CHECK(*top.allocate() == 65535);
  CHECK_FALSE(top.allocate().ok());
}
