#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "net/wireguard/transport_crypto.hpp"

using namespace overlayd::net::wg;

namespace {

template <class Bytes>
std::string tohex(const Bytes& b, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[b[i] >> 4];
    out += digits[b[i] & 15];
  }
  return out;
}

key32 counting_key() {
  key32 k;
  for (int i = 0; i < 32; ++i)
    k[i] = static_cast<std::uint8_t>(i);
  return k;
}

} // namespace

TEST_CASE("transport: nonce is 4 zero bytes and the little-endian counter", "[wireguard]") {
  // Expected: Python cryptography ChaCha20Poly1305(key).encrypt(
  //   b"\0" * 4 + (0x0102030405060708).to_bytes(8, "little"), b"hello wireguard", None)
  std::uint8_t buf[15 + aead_tag_size];
  std::memcpy(buf, "hello wireguard", 15);
  REQUIRE(seal_in_place(counting_key(), 0x0102030405060708ULL, buf, 15) == 31);
  CHECK(tohex(buf, 31) == "982cc188c4199d7116ce4db9120a0582206bb36ece81b772303a417f883175");
}

TEST_CASE("transport: seal and open in place, detached and appended", "[wireguard]") {
  key32 key = generate_private_key();
  std::vector<std::uint8_t> buf(1420 + aead_tag_size);
  for (std::size_t i = 0; i < 1420; ++i)
    buf[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<std::uint8_t> original(buf.begin(), buf.begin() + 1420);

  std::uint8_t tag[aead_tag_size];
  seal(key, 42, buf.data(), 1420, tag);
  CHECK(std::memcmp(buf.data(), original.data(), 1420) != 0);
  std::memcpy(buf.data() + 1420, tag, sizeof tag);
  std::size_t plain = 0;
  REQUIRE(open_in_place(key, 42, buf.data(), buf.size(), plain));
  CHECK(plain == 1420);
  CHECK(std::memcmp(buf.data(), original.data(), 1420) == 0);

  // A tampered byte (payload or tag) fails; nothing is decrypted (libsodium
  // zeroes the ciphertext part instead).
  for (std::size_t pos : {std::size_t{0}, std::size_t{700}, std::size_t{1419},
                          std::size_t{1420}, std::size_t{1435}}) {
    std::memcpy(buf.data(), original.data(), 1420);
    REQUIRE(seal_in_place(key, 43, buf.data(), 1420) == buf.size());
    std::vector<std::uint8_t> sealed = buf;
    buf[pos] ^= 0x80;
    CHECK_FALSE(open_in_place(key, 43, buf.data(), buf.size(), plain));
    CHECK(std::search(buf.begin(), buf.begin() + 1420, original.begin(), original.begin() + 64)
          == buf.begin() + 1420); // no plaintext showed up
    buf = sealed;
    REQUIRE(open_in_place(key, 43, buf.data(), buf.size(), plain));
    CHECK(std::memcmp(buf.data(), original.data(), 1420) == 0);
  }

  // Keepalives: empty payload, tag only.
  std::uint8_t keepalive[aead_tag_size];
  CHECK(seal_in_place(key, 0, keepalive, 0) == aead_tag_size);
  REQUIRE(open_in_place(key, 0, keepalive, sizeof keepalive, plain));
  CHECK(plain == 0);
  CHECK_FALSE(open_in_place(key, 0, keepalive, aead_tag_size - 1, plain));
}

TEST_CASE("transport: padding to 16 bytes within the MTU", "[wireguard]") {
  CHECK(padded_length(0, 1420) == 0);
  CHECK(padded_length(1, 1420) == 16);
  CHECK(padded_length(16, 1420) == 16);
  CHECK(padded_length(17, 1420) == 32);
  CHECK(padded_length(1419, 1420) == 1420);
  CHECK(padded_length(1420, 1420) == 1420);
  CHECK(padded_length(1415, 1418) == 1418); // capped at the MTU, not 1424
  CHECK(padded_length(100, 0) == 112);      // no MTU: plain rounding
  CHECK(padded_length(1421, 1420) == 1436); // past the MTU: as wireguard-go does
}
