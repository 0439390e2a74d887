// blake2s: the BLAKE2s hash of RFC 7693 (plain and keyed, 1..32 byte output)
// and the three constructions WireGuard builds on it (whitepaper 5.4):
// HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256, 64-byte block) and the HKDF-style
// KDF1/KDF2/KDF3. libsodium ships BLAKE2b only, hence our own copy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace overlayd::net::wg {

using digest32 = std::array<std::uint8_t, 32>;
using mac16 = std::array<std::uint8_t, 16>;

// Incremental BLAKE2s. init() must succeed before update()/final().
class blake2s {
public:
  static constexpr std::size_t block_size = 64;
  static constexpr std::size_t max_output = 32;
  static constexpr std::size_t max_key = 32;

  blake2s() = default;
  ~blake2s();
  blake2s(const blake2s&) = default;
  blake2s& operator=(const blake2s&) = default;

  // False (and nothing usable) for outlen outside 1..32 or keylen over 32.
  // A key turns this into BLAKE2's own keyed mode (RFC 7693 2.5), which is
  // what WireGuard's MAC() is; it is not HMAC.
  bool init(std::size_t outlen, const std::uint8_t* key = nullptr,
            std::size_t keylen = 0) noexcept;
  void update(const std::uint8_t* in, std::size_t len) noexcept;
  // Writes the outlen bytes chosen at init and wipes the state.
  void final(std::uint8_t* out) noexcept;

private:
  void compress(const std::uint8_t* block, bool last) noexcept;

  std::uint32_t h_[8] = {};
  std::uint64_t t_ = 0; // bytes compressed so far
  std::uint8_t buf_[block_size] = {};
  std::size_t buffered_ = 0;
  std::size_t outlen_ = 0;
};

// One-shot form; false on the same bad lengths as blake2s::init.
bool blake2s_hash(std::uint8_t* out, std::size_t outlen, const std::uint8_t* in,
                  std::size_t inlen, const std::uint8_t* key = nullptr,
                  std::size_t keylen = 0) noexcept;

// WireGuard's HASH(input): unkeyed BLAKE2s-256.
digest32 hash(const std::uint8_t* in, std::size_t len) noexcept;
// HASH(a || b) without building the concatenation.
digest32 hash(const std::uint8_t* a, std::size_t alen, const std::uint8_t* b,
              std::size_t blen) noexcept;

// WireGuard's MAC(key, input): keyed BLAKE2s with a 16-byte output.
// keylen is 32 (mac1 keys, cookie secrets) or 16 (a cookie used for mac2).
mac16 mac(const std::uint8_t* key, std::size_t keylen, const std::uint8_t* in,
          std::size_t len) noexcept;

// HMAC(key, input) with BLAKE2s-256; keys longer than a block are hashed
// first, as RFC 2104 says (WireGuard only ever uses 32-byte keys).
digest32 hmac_blake2s(const std::uint8_t* key, std::size_t keylen, const std::uint8_t* in,
                      std::size_t len) noexcept;

// KDF_n(key, input) of the whitepaper: T0 = HMAC(key, input),
// T1 = HMAC(T0, 0x1), Ti = HMAC(T0, T(i-1) || i). Outputs may alias `key`.
void kdf1(digest32& t1, const digest32& key, const std::uint8_t* in, std::size_t len) noexcept;
void kdf2(digest32& t1, digest32& t2, const digest32& key, const std::uint8_t* in,
          std::size_t len) noexcept;
void kdf3(digest32& t1, digest32& t2, digest32& t3, const digest32& key,
          const std::uint8_t* in, std::size_t len) noexcept;

} // namespace overlayd::net::wg
