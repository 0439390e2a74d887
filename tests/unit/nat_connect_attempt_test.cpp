// A peer's walk through its candidates: switch, punch, judge by a fresh
// handshake, restore the old endpoint when nothing answers (DECISIONS 22).
#include <catch2/catch.hpp>

#include "net/nat/connect_attempt.hpp"

using namespace overlayd::net;
using namespace overlayd::net::nat;
using namespace std::chrono_literals;
using action = connect_attempt::action;

namespace {

endpoint at(const char* text) {
  return *parse_endpoint(text);
}

const wall_clock::time_point never{};
const wall_clock::time_point t0 = wall_clock::time_point(std::chrono::seconds(1'750'000'000));

std::vector<candidate> three_candidates() {
  return connection_attempt_order({candidate::make(candidate_type::relay, at("203.0.113.10:40000")),
                                   candidate::make(candidate_type::host, at("192.168.20.2:51820")),
                                   candidate::make(candidate_type::server_reflexive,
                                                   at("203.0.113.2:51820"))});
}

} // namespace

TEST_CASE("connect attempt: candidates in priority order, each for its timeout", "[nat]") {
  connect_attempt attempt(three_candidates(), at("198.51.100.1:51820"), 5s);
  REQUIRE(attempt.next(t0, never) == action::switch_endpoint);
  CHECK(attempt.current().type == candidate_type::host);
  CHECK(attempt.next(t0 + 1s, never) == action::wait);
  CHECK(attempt.next(t0 + 2s, never) == action::punch); // both sides punching opens the NATs
  CHECK(attempt.next(t0 + 3s, never) == action::wait);
  CHECK(attempt.next(t0 + 4s, never) == action::punch);
  REQUIRE(attempt.next(t0 + 5s, never) == action::switch_endpoint);
  CHECK(attempt.current().type == candidate_type::server_reflexive);
  REQUIRE(attempt.next(t0 + 10s, never) == action::switch_endpoint);
  CHECK(attempt.current().type == candidate_type::relay);
  CHECK_FALSE(attempt.done());
}

TEST_CASE("connect attempt: only a handshake after the switch proves a candidate", "[nat]") {
  connect_attempt attempt(three_candidates(), std::nullopt, 5s);
  REQUIRE(attempt.next(t0, never) == action::switch_endpoint);
  // A session from before the switch says nothing about the new path.
  CHECK(attempt.next(t0 + 1s, t0 - 1s) == action::wait);
  CHECK(attempt.next(t0 + 1s, t0) == action::wait);
  CHECK(attempt.next(t0 + 1s, t0 + 500ms) == action::succeeded);
  CHECK(attempt.done());
  CHECK(attempt.current().type == candidate_type::host);
  CHECK(attempt.next(t0 + 9s, t0 + 500ms) == action::succeeded); // stays decided
}

TEST_CASE("connect attempt: when nothing answers the previous endpoint comes back", "[nat]") {
  connect_attempt attempt(three_candidates(), at("198.51.100.1:51820"), 2s);
  int switches = 0;
  action last = action::wait;
  for (auto t = t0; t < t0 + 20s && last != action::failed; t += 1s) {
    last = attempt.next(t, never);
    switches += last == action::switch_endpoint ? 1 : 0;
  }
  CHECK(switches == 3);
  REQUIRE(last == action::failed);
  CHECK(attempt.done());
  REQUIRE(attempt.previous_endpoint());
  CHECK(attempt.previous_endpoint()->to_string() == "198.51.100.1:51820");
}

TEST_CASE("connect attempt: the deferring side punches a second after its switch", "[nat]") {
  connect_attempt attempt(three_candidates(), std::nullopt, 5s, true);
  REQUIRE(attempt.next(t0, never) == action::switch_quietly);
  CHECK(attempt.next(t0 + 500ms, never) == action::wait);
  CHECK(attempt.next(t0 + 1s, never) == action::punch);
  CHECK(attempt.next(t0 + 2s, never) == action::wait);
  CHECK(attempt.next(t0 + 3s, never) == action::punch);
  // The other side's punch may have been answered before ours went out.
  CHECK(attempt.next(t0 + 3500ms, t0 + 200ms) == action::succeeded);
}

TEST_CASE("connect attempt: no candidates fail at once", "[nat]") {
  connect_attempt attempt({}, std::nullopt, 5s);
  CHECK(attempt.next(t0, never) == action::failed);
}

TEST_CASE("connection type follows where the handshake came from", "[nat]") {
  auto advertised = three_candidates();
  CHECK(classify_connection(at("192.168.20.2:51820"), false, advertised)
        == connection_type::direct);
  CHECK(classify_connection(at("203.0.113.2:51820"), false, advertised)
        == connection_type::hole_punched);
  // Roamed to an address nobody advertised: punched through a NAT.
  CHECK(classify_connection(at("203.0.113.2:61000"), false, advertised)
        == connection_type::hole_punched);
  CHECK(classify_connection(at("203.0.113.10:40000"), true, advertised)
        == connection_type::relayed);
}
