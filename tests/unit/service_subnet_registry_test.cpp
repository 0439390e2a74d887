#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <utility>

#include "net/service_subnet_registry.hpp"

using overlayd::net::cidr;
using overlayd::net::ip_address;
using overlayd::net::service_subnet_registry;

namespace {

cidr net(const char* text) { return *cidr::parse(text); }
ip_address ip(const char* text) { return *ip_address::parse(text); }

service_subnet_registry make(const char* cluster, unsigned slice_prefix) {
  auto r = service_subnet_registry::create(net(cluster), slice_prefix);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string assign(service_subnet_registry& r, const char* service, const char* node) {
  auto s = r.assign(service, node);
  return s ? s->to_string() : s.error_message();
}

} // namespace

TEST_CASE("registry: the five spec vectors", "[net]") {
  auto r = make("10.200.0.0/16", 26);
  CHECK(r.capacity() == 1024);
  CHECK(assign(r, "web", "0") == "10.200.187.128/26");
  CHECK(assign(r, "api", "0") == "10.200.218.0/26");
  CHECK(assign(r, "web", "1") == "10.200.40.64/26");
  CHECK(assign(r, "__zlayer_shared_bridge__", "0") == "10.200.90.64/26");
  CHECK(assign(r, "db", "42") == "10.200.253.128/26");
  CHECK(r.assigned_count() == 5);
}

TEST_CASE("registry: assign is idempotent, release frees, get looks up", "[net]") {
  auto r = make("10.200.0.1/16", 26); // host bits in the cluster are ignored
  CHECK(assign(r, "web", "0") == "10.200.187.128/26");
  CHECK(assign(r, "web", "0") == "10.200.187.128/26");
  CHECK(r.assigned_count() == 1);
  CHECK(r.get("web", "0")->to_string() == "10.200.187.128/26");
  CHECK_FALSE(r.get("web", "1"));
  CHECK(r.release("web", "0")->to_string() == "10.200.187.128/26");
  CHECK_FALSE(r.release("web", "0"));
  CHECK(r.assigned_count() == 0);
  CHECK_FALSE(r.get("web", "0"));
}

TEST_CASE("registry: constructor errors and default slice prefixes", "[net]") {
  auto same = service_subnet_registry::create(net("10.200.0.0/26"), 26);
  REQUIRE_FALSE(same.ok());
  CHECK(same.error_message()
        == "Invalid CIDR notation: slice prefix /26 must be more specific than cluster prefix /26");
  auto wider = service_subnet_registry::create(net("fd00::/64"), 48);
  REQUIRE_FALSE(wider.ok());
  CHECK(wider.error_message()
        == "Invalid CIDR notation: slice prefix /48 must be more specific than cluster prefix /64");
  auto too_long = service_subnet_registry::create(net("10.200.0.0/16"), 33);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error_message()
        == "Invalid CIDR notation: slice prefix /33 exceeds address family max /32");
  auto v6_long = service_subnet_registry::create(net("fd00::/64"), 129);
  REQUIRE_FALSE(v6_long.ok());
  CHECK(v6_long.error_message()
        == "Invalid CIDR notation: slice prefix /129 exceeds address family max /128");
  CHECK(service_subnet_registry::default_slice_prefix(net("10.200.0.0/16")) == 26);
  CHECK(service_subnet_registry::default_slice_prefix(net("fd00::/48")) == 120);
  CHECK(service_subnet_registry::create(net("10.0.0.0/31"), 32).ok());
}

TEST_CASE("registry: probing on collision, reserved slices, exhaustion", "[net]") {
  // 4 slices. Start slices: api/0 0, db/0 0, web/0 2, cache/0 2.
  auto r = make("10.0.0.0/24", 26);
  CHECK(r.capacity() == 4);
  r.reserve_ip(ip("10.0.0.130")); // blocks slice 2 (.128/26)
  r.reserve_ip(ip("10.9.9.9"));   // outside: ignored
  r.reserve_ip(ip("fd00::1"));    // other family: ignored
  CHECK(assign(r, "api", "0") == "10.0.0.0/26");
  CHECK(assign(r, "db", "0") == "10.0.0.64/26");   // collides with api, probes on
  CHECK(assign(r, "web", "0") == "10.0.0.192/26"); // skips the reserved slice
  CHECK(assign(r, "cache", "0") == "No available IP addresses in CIDR range");
  CHECK(r.assigned_count() == 3);
  REQUIRE(r.release("api", "0"));
  CHECK(assign(r, "cache", "0") == "10.0.0.0/26"); // probe wraps to slice 0

  auto two = make("10.0.0.0/25", 26);
  CHECK(assign(two, "a", "0") == "10.0.0.64/26");
  CHECK(assign(two, "b", "0") == "10.0.0.0/26");
  CHECK(assign(two, "c", "0") == "No available IP addresses in CIDR range");
  CHECK(assign(two, "a", "0") == "10.0.0.64/26"); // existing keys still answer
}

TEST_CASE("registry: IPv6 clusters with /120 slices", "[net]") {
  auto small = make("fd00::/112", 120);
  CHECK(small.capacity() == 256);
  CHECK(assign(small, "web", "0") == "fd00::ee00/120"); // fnv mod 256 = 238
  CHECK(assign(small, "api", "0") == "fd00::6800/120"); // 104

  // 72 slice bits: the slice count saturates at 2^64-1 and so does the modulus.
  auto big = make("fd00::/48", 120);
  CHECK(big.capacity() == std::numeric_limits<std::uint64_t>::max());
  CHECK(assign(big, "web", "0") == "fd00::66:accd:2e09:8fe2:ee00/120");
  big.reserve_ip(ip("fd00::66:accd:2e09:8fe2:ee80"));
  REQUIRE(big.release("web", "0"));
  CHECK(assign(big, "web", "0") == "fd00::66:accd:2e09:8fe2:ef00/120");
  big.reserve_ip(ip("fd00:0:0:ff00::1")); // in the cluster but beyond any probe: ignored

  // Exactly 64 slice bits also saturates.
  auto edge = make("fd00::/56", 120);
  CHECK(edge.capacity() == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("registry: a /8 IPv4 cluster assigns without scanning", "[net]") {
  auto r = make("10.0.0.0/8", 26);
  CHECK(r.capacity() == 262144);
  CHECK(assign(r, "web", "0") == "10.248.187.128/26"); // index 254702
  for (int i = 0; i < 2000; ++i)
    REQUIRE(r.assign("svc" + std::to_string(i), "0").ok());
  CHECK(r.assigned_count() == 2001);
}

TEST_CASE("registry: snapshot and restore round trip", "[net]") {
  auto r = make("10.200.0.0/16", 26);
  assign(r, "web", "1");
  assign(r, "api", "0");
  assign(r, "web", "0");
  auto snap = r.snapshot();
  CHECK(snap.cluster.to_address_string() == "10.200.0.0/16");
  CHECK(snap.slice_prefix == 26);
  REQUIRE(snap.assignments.size() == 3);
  CHECK(snap.assignments[0].first == std::make_pair(std::string("api"), std::string("0")));
  CHECK(snap.assignments[1].first == std::make_pair(std::string("web"), std::string("0")));
  CHECK(snap.assignments[2].first == std::make_pair(std::string("web"), std::string("1")));
  CHECK(snap.assignments[2].second.to_string() == "10.200.40.64/26");

  auto copy = make("10.200.0.0/16", 26);
  assign(copy, "old", "0"); // replaced by the restore
  REQUIRE(copy.restore(snap).ok());
  CHECK(copy.assigned_count() == 3);
  CHECK_FALSE(copy.get("old", "0"));
  CHECK(copy.get("web", "0")->to_string() == "10.200.187.128/26");
  CHECK(copy.snapshot().assignments == snap.assignments);
  // Restored slices are taken: a key hashing onto one probes past it.
  REQUIRE(copy.release("web", "0"));
  auto squat = snap;
  squat.assignments = {{{"squatter", "9"}, net("10.200.187.128/26")}};
  REQUIRE(copy.restore(squat).ok());
  CHECK(assign(copy, "web", "0") == "10.200.187.192/26");
}

TEST_CASE("registry: restore rejects bad snapshots and changes nothing", "[net]") {
  auto r = make("10.200.0.0/16", 26);
  assign(r, "web", "0");
  auto good = r.snapshot();

  auto prefix = good;
  prefix.slice_prefix = 24;
  auto e1 = r.restore(prefix);
  REQUIRE_FALSE(e1.ok());
  CHECK(e1.error_message()
        == "Invalid CIDR notation: snapshot slice prefix /24 does not match registry slice prefix /26");

  auto wrong_slice = good;
  wrong_slice.assignments.push_back({{"api", "0"}, net("10.200.5.0/24")});
  auto e2 = r.restore(wrong_slice);
  REQUIRE_FALSE(e2.ok());
  CHECK(e2.error_message()
        == "Invalid CIDR notation: subnet 10.200.5.0/24 of (api, 0) is not a /26 slice");

  auto outside = good;
  outside.assignments.push_back({{"api", "0"}, net("10.201.0.0/26")});
  auto e3 = r.restore(outside);
  REQUIRE_FALSE(e3.ok());
  CHECK(e3.error_message()
        == "Invalid CIDR notation: subnet 10.201.0.0/26 of (api, 0) is not within cluster 10.200.0.0/16");

  auto twice = good;
  twice.assignments.push_back({{"web", "1"}, net("10.200.187.128/26")});
  auto e4 = r.restore(twice);
  REQUIRE_FALSE(e4.ok());
  CHECK(e4.error_message()
        == "Invalid CIDR notation: subnet 10.200.187.128/26 of (web, 1) is assigned twice");

  auto dup_key = good;
  dup_key.assignments.push_back({{"web", "0"}, net("10.200.1.0/26")});
  auto e5 = r.restore(dup_key);
  REQUIRE_FALSE(e5.ok());
  CHECK(e5.error_message() == "Invalid CIDR notation: (web, 0) is assigned twice");

  CHECK(r.assigned_count() == 1);
  CHECK(r.get("web", "0")->to_string() == "10.200.187.128/26");
}
