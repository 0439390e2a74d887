// Poly1305 over whole blocks on IFMA against libsodium (which gives every
// full 16-byte block the same 2^128 bit), including the values that stress
// carries: all-ones messages, keys and pads. Without IFMA the class is not
// used (libsodium's Poly1305 is), and these tests say so and skip.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <random>
#include <vector>

#include "net/wireguard/poly1305.hpp"

using overlayd::net::wg::poly1305;

namespace {

bool ifma_or_skip() {
  if (poly1305::simd_available())
    return true;
  WARN("skipped: this CPU has no AVX-512 IFMA (libsodium's Poly1305 serves it)");
  return false;
}

std::vector<std::uint8_t> libsodium_tag(const std::vector<std::uint8_t>& key,
                                        const std::vector<std::uint8_t>& message) {
  std::vector<std::uint8_t> tag(16);
  const std::uint8_t nothing = 0;
  crypto_onetimeauth_poly1305(tag.data(), message.empty() ? &nothing : message.data(),
                              message.size(), key.data());
  return tag;
}

} // namespace

TEST_CASE("poly1305: whole blocks match libsodium", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  if (!ifma_or_skip())
    return;
  std::mt19937 rng(1305);
  const std::size_t block_counts[] = {0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33,
                                      63, 64, 65, 88, 89, 90, 100, 1000, 4096};
  for (std::size_t blocks : block_counts) {
    for (int fill = 0; fill < 3; ++fill) {
      INFO(blocks << " blocks, fill " << fill);
      std::vector<std::uint8_t> key(32), message(16 * blocks);
      for (auto& b : key)
        b = fill == 1 ? 0xff : static_cast<std::uint8_t>(rng());
      for (auto& b : message)
        b = fill == 1 ? 0xff : fill == 2 ? 0 : static_cast<std::uint8_t>(rng());
      poly1305 mac(key.data());
      mac.blocks(message.data(), blocks);
      std::vector<std::uint8_t> tag(16);
      mac.finish(tag.data());
      REQUIRE(tag == libsodium_tag(key, message));
    }
  }
}

TEST_CASE("poly1305: blocks may arrive in pieces of any size", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  if (!ifma_or_skip())
    return;
  std::mt19937 rng(44);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::uint8_t> key(32), message(16 * (1 + rng() % 300));
    for (auto& b : key)
      b = static_cast<std::uint8_t>(rng());
    for (auto& b : message)
      b = static_cast<std::uint8_t>(rng());
    poly1305 mac(key.data());
    for (std::size_t at = 0; at < message.size();) {
      const std::size_t blocks = std::min<std::size_t>(rng() % 40, (message.size() - at) / 16);
      mac.blocks(message.data() + at, blocks);
      at += 16 * blocks;
    }
    std::vector<std::uint8_t> tag(16);
    mac.finish(tag.data());
    INFO(message.size() / 16 << " blocks");
    REQUIRE(tag == libsodium_tag(key, message));
  }
}
