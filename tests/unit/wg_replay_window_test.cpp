#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>

#include "net/wireguard/replay_window.hpp"

using overlayd::net::wg::replay_window;

namespace {

constexpr std::uint64_t window = replay_window::window_size;
constexpr std::uint64_t limit = replay_window::reject_after_messages;

} // namespace

TEST_CASE("replay window: constants match the kernel and wireguard-go", "[wireguard]") {
  STATIC_REQUIRE(replay_window::ring_bits == 8192);
  STATIC_REQUIRE(window == 8128);
  STATIC_REQUIRE(limit == 0xffffffffffffdfffULL); // 2^64 - 2^13 - 1
}

TEST_CASE("replay window: in order, reordered, replayed", "[wireguard]") {
  replay_window w;
  for (std::uint64_t c = 0; c < 1000; ++c)
    REQUIRE(w.accept(c));
  for (std::uint64_t c = 0; c < 1000; ++c)
    REQUIRE_FALSE(w.accept(c));
  CHECK(w.highest() == 999);

  // Reordered inside the window: each once, in any order.
  CHECK(w.accept(1010));
  CHECK(w.accept(1005));
  CHECK(w.accept(1000));
  CHECK_FALSE(w.accept(1005));
  CHECK(w.accept(1001));
  CHECK_FALSE(w.accept(1010));
  CHECK(w.highest() == 1010);
}

TEST_CASE("replay window: the kernel's selftest sequence", "[wireguard]") {
  // Same steps as the kernel's counter selftest and wireguard-go's replay
  // test, with the real limit.
  replay_window w;
  const std::uint64_t t_lim = window + 1;
  std::uint64_t step = 0;
  auto t = [&](std::uint64_t n, bool expected) {
    ++step;
    INFO("step " << step << " counter " << n);
    CHECK(w.accept(n) == expected);
  };
  t(0, true);
  t(1, true);
  t(1, false);
  t(9, true);
  t(8, true);
  t(7, true);
  t(7, false);
  t(t_lim, true);
  t(t_lim - 1, true);
  t(t_lim - 1, false);
  t(t_lim - 2, true);
  t(2, true);
  t(2, false);
  t(t_lim + 16, true);
  t(3, false);
  t(t_lim + 16, false);
  t(t_lim * 4, true);
  t(t_lim * 4 - (t_lim - 1), true);
  t(10, false);
  t(t_lim * 4 - t_lim, false);
  t(t_lim * 4 - (t_lim + 1), false);
  t(t_lim * 4 - (t_lim - 2), true);
  t(t_lim * 4 + 1 - t_lim, false);
  t(0, false);
  t(limit, false);
  t(limit - 1, true);
  t(limit, false);
  t(limit - 1, false);
  t(limit - 2, true);
  t(limit + 1, false);
  t(limit + 2, false);
  t(limit - 2, false);
  t(limit - 3, true);
  t(0, false);
}

TEST_CASE("replay window: far jump then old counters", "[wireguard]") {
  replay_window w;
  REQUIRE(w.accept(5));
  REQUIRE(w.accept(1'000'000));
  CHECK_FALSE(w.accept(5));                       // replay, and too old anyway
  CHECK_FALSE(w.accept(6));                       // never seen but too old
  CHECK_FALSE(w.accept(1'000'000 - window - 1));  // one past the window edge
  CHECK(w.accept(1'000'000 - window));            // exactly at the edge
  CHECK(w.accept(999'999));
  // A jump of many whole rings clears every block: nothing stale survives.
  REQUIRE(w.accept(1'000'000 + 64 * replay_window::ring_bits + 3));
  const std::uint64_t top = w.highest();
  for (std::uint64_t back = 1; back <= window; ++back)
    REQUIRE(w.would_accept(top - back));
  CHECK_FALSE(w.would_accept(top - window - 1));
}

TEST_CASE("replay window: counter 0 edge cases", "[wireguard]") {
  SECTION("0 is accepted once on a fresh window") {
    replay_window w;
    CHECK(w.would_accept(0));
    CHECK(w.accept(0));
    CHECK_FALSE(w.would_accept(0));
    CHECK_FALSE(w.accept(0));
  }
  SECTION("0 arriving last, exactly one window behind") {
    replay_window w;
    for (std::uint64_t c = 1; c <= window; ++c)
      REQUIRE(w.accept(c));
    CHECK(w.accept(0));
    CHECK_FALSE(w.accept(0));
  }
  SECTION("0 arriving last, one past the window") {
    replay_window w;
    for (std::uint64_t c = 2; c <= window + 1; ++c)
      REQUIRE(w.accept(c));
    CHECK(w.accept(1));
    CHECK_FALSE(w.accept(0));
  }
  SECTION("descending from the top of the window") {
    replay_window w;
    for (std::uint64_t c = window + 1; c > 0; --c)
      REQUIRE(w.accept(c));
    CHECK(w.accept(0) == false); // window+1 - 0 is past the window
  }
  SECTION("reset forgets everything") {
    replay_window w;
    REQUIRE(w.accept(0));
    REQUIRE(w.accept(77));
    w.reset();
    CHECK(w.highest() == 0);
    CHECK(w.accept(0));
    CHECK(w.accept(77));
  }
}

TEST_CASE("replay window: would_accept never changes state", "[wireguard]") {
  replay_window w;
  REQUIRE(w.accept(100));
  CHECK(w.would_accept(100'000)); // far ahead: would move the window...
  CHECK(w.would_accept(99));      // ...but did not
  CHECK(w.highest() == 100);
  CHECK_FALSE(w.would_accept(100));
  CHECK_FALSE(w.would_accept(limit));
  CHECK_FALSE(w.would_accept(~std::uint64_t{0}));
}

TEST_CASE("replay window: random traffic against a reference model", "[wireguard]") {
  // Model: accepted iff below the limit, not accepted before, and no more
  // than window_size behind the highest accepted counter.
  std::mt19937_64 rng(0x5eed'2048);
  replay_window w;
  std::set<std::uint64_t> seen;
  std::uint64_t highest = 0;
  std::uint64_t base = 0;
  for (int i = 0; i < 200'000; ++i) {
    std::uint64_t c;
    switch (rng() % 8) {
    case 0: c = base + rng() % (3 * window); break;                  // anywhere near
    case 1: c = highest >= 10 ? highest - rng() % 10 : highest; break; // close replays
    case 2: base += rng() % 500; c = base; break;                    // forward drift
    default: c = base + rng() % 300; break;                          // reordering
    }
    bool expected = c < limit && seen.count(c) == 0 && !(highest > c && highest - c > window);
    INFO("iteration " << i << " counter " << c);
    REQUIRE(w.would_accept(c) == expected);
    REQUIRE(w.accept(c) == expected);
    if (expected) {
      seen.insert(c);
      if (c > highest)
        highest = c;
    }
  }
}
