#include <catch2/catch.hpp>

#include "net/node_slice_allocator.hpp"

using overlayd::net::cidr;
using overlayd::net::ip_address;
using overlayd::net::node_slice_allocator;

TEST_CASE("node slice: node IP first, containers next, reuse, exhaustion", "[net]") {
  node_slice_allocator a(*cidr::parse("10.200.0.0/30"));
  CHECK(a.node_ip().to_string() == "10.200.0.1");
  auto first = a.allocate();
  REQUIRE(first.ok());
  CHECK(first->to_string() == "10.200.0.2");
  auto none = a.allocate();
  REQUIRE_FALSE(none.ok());
  CHECK(none.error_message()
        == "IP allocator exhausted: next address 10.200.0.3 is outside slice 10.200.0.0/30");
  CHECK_FALSE(a.release(*ip_address::parse("10.9.9.9"))); // foreign: no-op
  CHECK_FALSE(a.release(a.node_ip()));
  CHECK(a.release(*first));
  CHECK(a.allocate()->to_string() == "10.200.0.2");
  node_slice_allocator tiny(*cidr::parse("10.0.0.0/31"));
  CHECK_FALSE(tiny.allocate().ok());
  node_slice_allocator v6(*cidr::parse("fd00::/126"));
  CHECK(v6.allocate()->to_string() == "fd00::2");
  CHECK(v6.allocate()->to_string() == "fd00::3");
  CHECK_FALSE(v6.allocate().ok());
}
