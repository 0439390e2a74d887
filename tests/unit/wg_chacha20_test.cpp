// The batched ChaCha20 kernels and the AEAD built on them, against RFC 8439
// and against libsodium's own ChaCha20 and ChaCha20-Poly1305, for every
// kernel this CPU runs.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <random>
#include <vector>

#include "hex_bytes.hpp"
#include "net/wireguard/chacha20.hpp"
#include "net/wireguard/chacha20_poly1305.hpp"

using namespace overlayd::net::wg;

namespace {

std::vector<chacha20_isa> supported_isas() {
  std::vector<chacha20_isa> isas;
  if (best_chacha20_isa() == chacha20_isa::avx512)
    isas = {chacha20_isa::avx512, chacha20_isa::avx2};
  else if (best_chacha20_isa() == chacha20_isa::avx2)
    isas = {chacha20_isa::avx2};
  return isas;
}

std::vector<std::uint8_t> random_bytes(std::mt19937& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

} // namespace

TEST_CASE("chacha20: the RFC 8439 block function vector (2.3.2)", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  std::uint8_t key[32];
  for (int i = 0; i < 32; ++i)
    key[i] = static_cast<std::uint8_t>(i);
  const std::uint8_t nonce[12] = {0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0};
  const std::string block1 = "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                             "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e";
  for (chacha20_isa isa : supported_isas()) {
    INFO("kernel " << static_cast<int>(isa));
    std::vector<std::uint8_t> out(64 * chacha20_batch_blocks(isa));
    chacha20_keystream(isa, chacha20_input{key, nonce, 1}, out.data());
    CHECK(overlayd::testing::tohex(std::vector<std::uint8_t>(out.begin(), out.begin() + 64)) == block1);
  }
}

TEST_CASE("chacha20: every kernel's batch equals libsodium's keystream", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  std::mt19937 rng(8439);
  for (chacha20_isa isa : supported_isas()) {
    INFO("kernel " << static_cast<int>(isa));
    const std::size_t bytes = 64 * chacha20_batch_blocks(isa);
    for (int round = 0; round < 200; ++round) {
      auto key = random_bytes(rng, 32);
      auto nonce = random_bytes(rng, 12);
      const std::uint32_t counter = round < 100 ? static_cast<std::uint32_t>(round) : rng() % 0xffff0000u;
      std::vector<std::uint8_t> ours(bytes), theirs(bytes, 0);
      chacha20_keystream(isa, chacha20_input{key.data(), nonce.data(), counter}, ours.data());
      crypto_stream_chacha20_ietf_xor_ic(theirs.data(), theirs.data(), bytes, nonce.data(), counter,
                                         key.data());
      REQUIRE(ours == theirs);
    }
  }
}

TEST_CASE("chacha20-poly1305: sealing and opening match libsodium's AEAD", "[wireguard]") {
  REQUIRE(sodium_init() >= 0);
  std::mt19937 rng(1420);
  // Around every batch edge of both kernels (the first batch also holds the
  // Poly1305 key block), a WireGuard packet, and the largest datagram.
  const std::size_t lengths[] = {0,   1,   15,  16,  17,   63,   64,   65,   255,  256,  257,  447,  448,  449,
                                 511, 512, 513, 959, 960,  961,  1023, 1024, 1025, 1420, 1471,
                                 1472, 1473, 1983, 1984, 1985, 3000, 65535};
  for (chacha20_isa isa : supported_isas()) {
    for (std::size_t len : lengths) {
      INFO("kernel " << static_cast<int>(isa) << ", " << len << " bytes");
      key32 key;
      auto key_bytes = random_bytes(rng, 32);
      std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
      auto nonce = random_bytes(rng, chacha20_poly1305_nonce_size);
      const auto plain = random_bytes(rng, len);

      // libsodium wants real pointers even for no bytes.
      std::vector<std::uint8_t> expected(len), expected_tag(16);
      std::uint8_t nothing = 0;
      unsigned long long tag_len = 0;
      crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        len > 0 ? expected.data() : &nothing, expected_tag.data(), &tag_len,
        len > 0 ? plain.data() : &nothing, len, nullptr, 0, nullptr, nonce.data(), key.data());
      std::vector<std::uint8_t> sealed = plain, tag(16);
      chacha20_poly1305_seal(isa, key, nonce.data(), sealed.data(), len, tag.data());
      REQUIRE(sealed == expected);
      REQUIRE(tag == expected_tag);

      std::vector<std::uint8_t> opened = expected;
      REQUIRE(chacha20_poly1305_open(isa, key, nonce.data(), opened.data(), len, expected_tag.data()));
      REQUIRE(opened == plain);

      // A flipped bit anywhere is refused, and nothing is decrypted.
      std::vector<std::uint8_t> forged = expected, forged_tag = expected_tag;
      if (len > 0)
        forged[rng() % len] ^= 0x01;
      else
        forged_tag[rng() % 16] ^= 0x01;
      const auto before = forged;
      CHECK_FALSE(chacha20_poly1305_open(isa, key, nonce.data(), forged.data(), len, forged_tag.data()));
      CHECK(forged == before);
    }
  }
}
