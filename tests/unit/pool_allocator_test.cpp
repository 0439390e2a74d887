#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include "net/first_usable_ip.hpp"
#include "net/pool_allocator.hpp"

using overlayd::net::cidr;
using overlayd::net::first_usable_ip;
using overlayd::net::ip_address;
using overlayd::net::pool_allocator;

namespace {

cidr net(const char* text) { return *cidr::parse(text); }
ip_address ip(const char* text) { return *ip_address::parse(text); }
std::string next(pool_allocator& p) {
  auto a = p.allocate();
  return a ? a->to_string() : "none";
}

} // namespace

TEST_CASE("first_usable_ip: network + 1, both families, wrapping", "[net]") {
  CHECK(first_usable_ip(net("10.200.187.128/26")).to_string() == "10.200.187.129");
  CHECK(first_usable_ip(net("10.200.187.130/26")).to_string() == "10.200.187.129");
  CHECK(first_usable_ip(net("fd00::/64")).to_string() == "fd00::1");
  CHECK(first_usable_ip(net("255.255.255.255/32")).to_string() == "0.0.0.0");
  CHECK(first_usable_ip(net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")).to_string() == "::");
}

TEST_CASE("pool: IPv4 hosts range, exhaustion, lowest-first reuse", "[net]") {
  pool_allocator p(net("10.200.0.0/30"));
  CHECK(p.usable_count() == 2);
  CHECK(next(p) == "10.200.0.1");
  CHECK(next(p) == "10.200.0.2");
  CHECK(next(p) == "none"); // broadcast .3 is never handed out
  CHECK_FALSE(p.release(ip("10.200.0.3")));
  CHECK(p.release(ip("10.200.0.1")));
  CHECK_FALSE(p.release(ip("10.200.0.1")));
  CHECK(next(p) == "10.200.0.1");

  pool_allocator q(net("10.1.0.0/24"));
  for (int i = 0; i < 5; ++i)
    q.allocate();
  CHECK(q.release(ip("10.1.0.4")));
  CHECK(q.release(ip("10.1.0.2")));
  CHECK(q.allocated() == std::vector<ip_address>{ip("10.1.0.1"), ip("10.1.0.3"), ip("10.1.0.5")});
  CHECK(next(q) == "10.1.0.2");
  CHECK(next(q) == "10.1.0.4");
  CHECK(next(q) == "10.1.0.6");
  CHECK(q.allocated_count() == 6);
}

TEST_CASE("pool: release from the middle of a run keeps its neighbours", "[net]") {
  pool_allocator p(net("10.1.0.0/24"));
  for (int i = 0; i < 5; ++i)
    p.allocate();
  CHECK(p.release(ip("10.1.0.3")));
  CHECK(p.is_allocated(ip("10.1.0.2")));
  CHECK_FALSE(p.is_allocated(ip("10.1.0.3")));
  CHECK(p.is_allocated(ip("10.1.0.4")));
  CHECK(p.release(ip("10.1.0.1"))); // start of a run
  CHECK(p.release(ip("10.1.0.5"))); // end of a run
  CHECK(p.allocated() == std::vector<ip_address>{ip("10.1.0.2"), ip("10.1.0.4")});
  CHECK(p.allocated_count() == 2);
  CHECK(next(p) == "10.1.0.1");
  CHECK(next(p) == "10.1.0.3"); // joins .1-.4 into one run
  CHECK(next(p) == "10.1.0.5");
}

TEST_CASE("pool: /31 and /32 hand out all their addresses", "[net]") {
  pool_allocator p31(net("10.0.0.0/31"));
  CHECK(p31.usable_count() == 0); // the original's count, not hosts()
  CHECK(next(p31) == "10.0.0.0");
  CHECK(next(p31) == "10.0.0.1");
  CHECK(next(p31) == "none");
  pool_allocator p32(net("10.0.0.7/32"));
  CHECK(p32.usable_count() == 0);
  CHECK(next(p32) == "10.0.0.7");
  CHECK(next(p32) == "none");
  // At the top of the space nothing wraps to 0.0.0.0.
  pool_allocator top(net("255.255.255.254/31"));
  CHECK(next(top) == "255.255.255.254");
  CHECK(next(top) == "255.255.255.255");
  CHECK(next(top) == "none");
}

TEST_CASE("pool: IPv6 includes the all-ones address, /128 is empty", "[net]") {
  pool_allocator p(net("fd00::/126"));
  CHECK(p.usable_count() == 3);
  CHECK(next(p) == "fd00::1");
  CHECK(next(p) == "fd00::2");
  CHECK(next(p) == "fd00::3");
  CHECK(next(p) == "none");
  pool_allocator top(net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126"));
  next(top);
  next(top);
  CHECK(next(top) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(next(top) == "none");
  pool_allocator host(net("fd00::5/128"));
  CHECK(host.usable_count() == 0);
  CHECK(next(host) == "none");
  CHECK(host.allocate_specific(ip("fd00::5")).ok()); // in the network
  pool_allocator p127(net("fd00::/127"));
  CHECK(next(p127) == "fd00::1");
  CHECK(next(p127) == "none");
}

TEST_CASE("pool: big IPv6 pools count saturating and allocate without scanning", "[net]") {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  CHECK(pool_allocator(net("fd00::/64")).usable_count() == max); // 2^64 - 1 exactly
  CHECK(pool_allocator(net("fd00::/48")).usable_count() == max);
  CHECK(pool_allocator(net("::/0")).usable_count() == max);
  CHECK(pool_allocator(net("fd00::/65")).usable_count() == (std::uint64_t{1} << 63) - 1);

  pool_allocator p(net("fd00:1::/48"));
  REQUIRE(p.allocate_specific(ip("fd00:1:0:ffff::1")).ok());
  CHECK(next(p) == "fd00:1::1");
  CHECK(next(p) == "fd00:1::2");
  for (int i = 0; i < 20000; ++i)
    p.allocate();
  CHECK(next(p) == "fd00:1::4e23"); // 20003
  CHECK(p.allocated_count() == 20004);
  CHECK(p.allocated().back().to_string() == "fd00:1:0:ffff::1");
}

TEST_CASE("pool: a large IPv4 pool stays fast across octet boundaries", "[net]") {
  pool_allocator p(net("10.0.0.0/8"));
  for (int i = 0; i < 70000; ++i)
    p.allocate();
  CHECK(next(p) == "10.1.17.113"); // 70001 = 1*65536 + 17*256 + 113
  CHECK(p.release(ip("10.0.255.255")));
  CHECK(next(p) == "10.0.255.255");
}

TEST_CASE("pool: allocate_specific errors and the cidr as given", "[net]") {
  pool_allocator p(net("10.1.0.5/24"));
  CHECK(p.network().to_address_string() == "10.1.0.5/24");
  auto outside = p.allocate_specific(ip("10.2.0.1"));
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error_message() == "IP address 10.2.0.1 is not within CIDR range 10.1.0.5/24");
  auto family = p.allocate_specific(ip("fd00::1"));
  REQUIRE_FALSE(family.ok());
  CHECK(family.error_message() == "IP address fd00::1 is not within CIDR range 10.1.0.5/24");
  REQUIRE(p.allocate_specific(ip("10.1.0.9")).ok());
  auto twice = p.allocate_specific(ip("10.1.0.9"));
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error_message() == "IP address 10.1.0.9 is already allocated");
  // The network address may be taken explicitly; allocate() still starts at .1.
  REQUIRE(p.allocate_specific(ip("10.1.0.0")).ok());
  CHECK(next(p) == "10.1.0.1");
  CHECK(next(p) == "10.1.0.2");
  CHECK(p.allocated_count() == 4);

  pool_allocator v6(net("fd00::/120"));
  auto v6_out = v6.allocate_specific(ip("fd01::1"));
  REQUIRE_FALSE(v6_out.ok());
  CHECK(v6_out.error_message() == "IP address fd01::1 is not within CIDR range fd00::/120");
}

TEST_CASE("pool: mark_allocated restores inside the network only", "[net]") {
  pool_allocator p(net("10.1.0.0/29"));
  p.mark_allocated(ip("10.1.0.1"));
  p.mark_allocated(ip("10.1.0.1")); // idempotent
  p.mark_allocated(ip("10.9.0.1")); // foreign: ignored
  CHECK(p.is_allocated(ip("10.1.0.1")));
  CHECK_FALSE(p.is_allocated(ip("10.9.0.1")));
  CHECK(p.allocated_count() == 1);
  CHECK(p.contains(ip("10.1.0.7")));
  CHECK_FALSE(p.contains(ip("10.1.0.8")));
  CHECK(next(p) == "10.1.0.2");
}

TEST_CASE("pool: bridge pools reserve the gateway", "[net]") {
  auto p = pool_allocator::for_bridge(net("10.200.187.128/26"));
  CHECK(p.is_allocated(ip("10.200.187.129")));
  std::vector<std::string> got;
  while (auto a = p.allocate())
    got.push_back(a->to_string());
  REQUIRE(got.size() == 61);
  CHECK(got.front() == "10.200.187.130");
  CHECK(got.back() == "10.200.187.190");
  CHECK(p.allocated_count() == 62);
  CHECK_FALSE(p.release(ip("10.200.187.191")));

  auto v6 = pool_allocator::for_bridge(net("fd00::ee00/120"));
  CHECK(next(v6) == "fd00::ee02");
  auto host = pool_allocator::for_bridge(net("10.0.0.7/32")); // no gateway inside
  CHECK(host.allocated_count() == 0);
  CHECK(next(host) == "10.0.0.7");
}
