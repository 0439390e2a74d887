#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "net/nat/candidate.hpp"

using namespace overlayd::net::nat;
using overlayd::msg::nat_candidate_wire;
using overlayd::net::endpoint;
using overlayd::net::parse_endpoint;

namespace {

endpoint ep(const char* text) {
  auto e = parse_endpoint(text);
  REQUIRE(e);
  return *e;
}

} // namespace

TEST_CASE("candidate priorities are the original's fixed values", "[nat][candidate]") {
  CHECK(default_priority(candidate_type::host) == 100);
  CHECK(default_priority(candidate_type::server_reflexive) == 50);
  CHECK(default_priority(candidate_type::relay) == 10);
  auto c = candidate::make(candidate_type::server_reflexive, ep("203.0.113.5:51820"));
  CHECK(c.type == candidate_type::server_reflexive);
  CHECK(c.priority == 50);
  CHECK(c.address.to_string() == "203.0.113.5:51820");
  // The type order is the original's Ord.
  CHECK(candidate_type::host < candidate_type::server_reflexive);
  CHECK(candidate_type::server_reflexive < candidate_type::relay);
}

TEST_CASE("candidate types use the contract's wire strings", "[nat][candidate]") {
  CHECK(to_wire(candidate_type::host) == "host");
  CHECK(to_wire(candidate_type::server_reflexive) == "server-reflexive");
  CHECK(to_wire(candidate_type::relay) == "relay");
  for (auto t : {candidate_type::host, candidate_type::server_reflexive, candidate_type::relay})
    CHECK(candidate_type_from_wire(to_wire(t)) == t);
  for (const char* bad : {"", "Host", "HOST", "srflx", "server_reflexive", "ServerReflexive",
                          "relay ", "bogus"})
    CHECK_FALSE(candidate_type_from_wire(bad));
}

TEST_CASE("candidates convert to and from NatCandidateWire", "[nat][candidate]") {
  SECTION("round trip, as the original's test") {
    nat_candidate_wire w{"server-reflexive", "203.0.113.5:51820", 50};
    auto c = candidate_from_wire(w);
    REQUIRE(c);
    CHECK(c->type == candidate_type::server_reflexive);
    CHECK(c->priority == 50);
    auto back = to_wire(*c);
    CHECK(back.candidate_type == w.candidate_type);
    CHECK(back.address == w.address);
    CHECK(back.priority == w.priority);
  }
  SECTION("the wire priority overrides the default") {
    auto c = candidate_from_wire({"relay", "[2001:db8::1]:3478", 7777});
    REQUIRE(c);
    CHECK(c->type == candidate_type::relay);
    CHECK(c->priority == 7777);
    CHECK(c->address.to_string() == "[2001:db8::1]:3478");
    CHECK(to_wire(*c).address == "[2001:db8::1]:3478");
  }
  SECTION("an unknown type or a bad address drops the candidate") {
    auto bad_type = candidate_from_wire({"bogus", "1.2.3.4:5", 1});
    REQUIRE_FALSE(bad_type);
    CHECK(bad_type.error_message()
          == "candidate_from_wire(1.2.3.4:5): unknown candidate_type \"bogus\"");
    for (const char* addr : {"not-an-addr", "1.2.3.4", "example.com:80", "::1:80", "1.2.3.4:65536",
                             "[1.2.3.4]:80", ""}) {
      auto r = candidate_from_wire({"host", addr, 1});
      REQUIRE_FALSE(r);
      CHECK(r.error_message() == std::string("candidate_from_wire(host): address \"") + addr
                                     + "\" is not an ip:port socket address");
    }
  }
}

TEST_CASE("connection type follows the winning candidate", "[nat][candidate]") {
  CHECK(connection_type_for(candidate_type::host) == connection_type::direct);
  CHECK(connection_type_for(candidate_type::server_reflexive) == connection_type::hole_punched);
  CHECK(connection_type_for(candidate_type::relay) == connection_type::relayed);
  CHECK(to_string(connection_type::direct) == "direct");
  CHECK(to_string(connection_type::hole_punched) == "hole-punched");
  CHECK(to_string(connection_type::relayed) == "relayed");
}

TEST_CASE("remote candidates are tried by priority, stable, capped", "[nat][candidate]") {
  std::vector<candidate> remote{
      candidate::make(candidate_type::relay, ep("198.51.100.1:3478")),
      candidate::make(candidate_type::server_reflexive, ep("203.0.113.5:51820")),
      candidate::make(candidate_type::host, ep("10.0.0.2:51820")),
      candidate::make(candidate_type::host, ep("[fd00::2]:51820")),
      candidate{candidate_type::relay, ep("198.51.100.2:3478"), 1000}, // advertised preference
      candidate::make(candidate_type::server_reflexive, ep("203.0.113.6:51820")),
  };
  auto order = connection_attempt_order(remote);
  std::vector<std::string> got;
  for (const auto& c : order)
    got.push_back(c.address.to_string());
  CHECK(got == std::vector<std::string>{"198.51.100.2:3478", "10.0.0.2:51820", "[fd00::2]:51820",
                                        "203.0.113.5:51820", "203.0.113.6:51820",
                                        "198.51.100.1:3478"});

  SECTION("truncated to max_candidate_pairs") {
    std::vector<candidate> many;
    for (int i = 0; i < 25; ++i)
      many.push_back(candidate{candidate_type::host, endpoint{overlayd::net::ip_address::v4(
                                                                  0x0a000000u + std::uint32_t(i)),
                                                              51820},
                               std::uint32_t(i % 3)});
    auto capped = connection_attempt_order(many);
    REQUIRE(capped.size() == default_max_candidate_pairs);
    CHECK(default_max_candidate_pairs == 10);
    // Eight at priority 2 (i = 2, 5, .., 23), then the first two at 1; ties
    // keep the advertised order.
    for (std::size_t k = 0; k < 8; ++k)
      CHECK(capped[k].priority == 2);
    CHECK(capped[0].address.to_string() == "10.0.0.2:51820");
    CHECK(capped[7].address.to_string() == "10.0.0.23:51820");
    CHECK(capped[8].address.to_string() == "10.0.0.1:51820");
    CHECK(capped[9].address.to_string() == "10.0.0.4:51820");
    CHECK(connection_attempt_order(many, 3).size() == 3);
    CHECK(connection_attempt_order(many, 100).size() == 25);
  }
  SECTION("empty in, empty out") {
    CHECK(connection_attempt_order({}).empty());
  }
}
