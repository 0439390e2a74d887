// OpenSSL's ChaCha20-Poly1305 as overlayd calls it (a context per thread,
// the last key remembered) gives libsodium's bytes, for every length
// around the batch edges and with keys changing between packets.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <random>
#include <thread>
#include <vector>

#include "net/wireguard/openssl_aead.hpp"

using namespace overlayd::net::wg;

namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

key32 random_key(std::mt19937& rng) {
  key32 key;
  for (auto& b : key)
    b = static_cast<std::uint8_t>(rng());
  return key;
}

// libsodium's ciphertext and tag: the reference.
std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> sodium_seal(
  const key32& key, const std::vector<std::uint8_t>& nonce,
  const std::vector<std::uint8_t>& plain) {
  std::vector<std::uint8_t> cipher(plain.size()), tag(16);
  std::uint8_t nothing = 0; // libsodium wants real pointers even for no bytes
  unsigned long long tag_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    plain.empty() ? &nothing : cipher.data(), tag.data(), &tag_len,
    plain.empty() ? &nothing : plain.data(), plain.size(), nullptr, 0, nullptr, nonce.data(),
    key.data());
  return {cipher, tag};
}

} // namespace

TEST_CASE("openssl aead: sealing and opening match libsodium's AEAD", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  std::mt19937 rng(8439);
  const key32 keys[] = {random_key(rng), random_key(rng)};
  const std::size_t lengths[] = {0,   1,   15,  16,   17,   63,   64,   65,   255,  256, 257,
                                 511, 512, 513, 1023, 1024, 1420, 1472, 1985, 3000, 65535};
  int round = 0;
  for (std::size_t len : lengths) {
    for (int repeat = 0; repeat < 3; ++repeat, ++round) {
      // Alternating keys and a fresh one now and then: the remembered key
      // must never be used for another.
      const key32 key = round % 5 == 4 ? random_key(rng) : keys[round % 2];
      INFO(len << " bytes, round " << round);
      auto nonce = random_bytes(rng, 12);
      const auto plain = random_bytes(rng, len);
      auto [expected, expected_tag] = sodium_seal(key, nonce, plain);

      std::vector<std::uint8_t> sealed = plain, tag(16);
      openssl_seal(key, nonce.data(), sealed.data(), len, tag.data());
      REQUIRE(sealed == expected);
      REQUIRE(tag == expected_tag);

      std::vector<std::uint8_t> opened = expected;
      REQUIRE(openssl_open(key, nonce.data(), opened.data(), len, expected_tag.data()));
      REQUIRE(opened == plain);

      // A flipped bit anywhere is refused, and what was decrypted is wiped.
      std::vector<std::uint8_t> forged = expected, forged_tag = expected_tag;
      if (len > 0)
        forged[rng() % len] ^= 0x01;
      else
        forged_tag[rng() % 16] ^= 0x01;
      CHECK_FALSE(openssl_open(key, nonce.data(), forged.data(), len, forged_tag.data()));
      CHECK(forged == std::vector<std::uint8_t>(len, 0));
      // The wrong key fails the same way.
      const key32& wrong = key == keys[0] ? keys[1] : keys[0];
      std::vector<std::uint8_t> other = expected;
      CHECK_FALSE(openssl_open(wrong, nonce.data(), other.data(), len, expected_tag.data()));
    }
  }
}

TEST_CASE("openssl aead: the tag may follow the data in place", "[wireguard]") {
  std::mt19937 rng(1);
  const key32 key = random_key(rng);
  auto nonce = random_bytes(rng, 12);
  const auto plain = random_bytes(rng, 1420);
  std::vector<std::uint8_t> buf = plain;
  buf.resize(1420 + 16);
  openssl_seal(key, nonce.data(), buf.data(), 1420, buf.data() + 1420);
  auto [expected, expected_tag] = sodium_seal(key, nonce, plain);
  CHECK(std::equal(expected.begin(), expected.end(), buf.begin()));
  CHECK(std::equal(expected_tag.begin(), expected_tag.end(), buf.begin() + 1420));
  REQUIRE(openssl_open(key, nonce.data(), buf.data(), 1420, buf.data() + 1420));
  CHECK(std::equal(plain.begin(), plain.end(), buf.begin()));
}

TEST_CASE("openssl aead: each thread has its own context", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &mismatches] {
      std::mt19937 rng(static_cast<unsigned>(t));
      const key32 key = random_key(rng);
      for (int i = 0; i < 2000; ++i) {
        auto nonce = random_bytes(rng, 12);
        const auto plain = random_bytes(rng, 1 + rng() % 1500);
        auto [expected, expected_tag] = sodium_seal(key, nonce, plain);
        std::vector<std::uint8_t> sealed = plain, tag(16);
        openssl_seal(key, nonce.data(), sealed.data(), sealed.size(), tag.data());
        mismatches[static_cast<std::size_t>(t)] += sealed != expected || tag != expected_tag;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}
