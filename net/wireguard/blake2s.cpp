#include "net/wireguard/blake2s.hpp"

#include <algorithm>
#include <cstring>

#include <sodium.h>

namespace overlayd::net::wg {

namespace {

// RFC 7693 2.6: the SHA-256 initial values.
constexpr std::uint32_t iv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

// RFC 7693 2.7: message word permutations; BLAKE2s runs 10 rounds.
constexpr std::uint8_t sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

inline std::uint32_t rotr(std::uint32_t x, unsigned n) noexcept {
  return (x >> n) | (x << (32 - n));
}

inline std::uint32_t load32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16
         | std::uint32_t{p[3]} << 24;
}

// RFC 7693 3.1, rotations (R1..R4) = (16, 12, 8, 7) for BLAKE2s.
inline void mix(std::uint32_t* v, int a, int b, int c, int d, std::uint32_t x,
                std::uint32_t y) noexcept {
  v[a] = v[a] + v[b] + x;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 7);
}

} // namespace

blake2s::~blake2s() {
  sodium_memzero(this, sizeof(*this));
}

bool blake2s::init(std::size_t outlen, const std::uint8_t* key, std::size_t keylen) noexcept {
  outlen_ = 0;
  if (outlen == 0 || outlen > max_output || keylen > max_key || (keylen != 0 && key == nullptr))
    return false;
  std::copy(std::begin(iv), std::end(iv), h_);
  // Parameter block word 0: digest length, key length, fanout 1, depth 1.
  h_[0] ^= 0x01010000u ^ static_cast<std::uint32_t>(keylen << 8)
           ^ static_cast<std::uint32_t>(outlen);
  t_ = 0;
  buffered_ = 0;
  outlen_ = outlen;
  std::memset(buf_, 0, sizeof buf_);
  if (keylen > 0) {
    // The key is the first block, zero padded (RFC 7693 3.3).
    std::memcpy(buf_, key, keylen);
    buffered_ = block_size;
  }
  return true;
}

void blake2s::compress(const std::uint8_t* block, bool last) noexcept {
  std::uint32_t m[16];
  for (int i = 0; i < 16; ++i)
    m[i] = load32(block + 4 * i);
  std::uint32_t v[16];
  for (int i = 0; i < 8; ++i) {
    v[i] = h_[i];
    v[i + 8] = iv[i];
  }
  v[12] ^= static_cast<std::uint32_t>(t_);
  v[13] ^= static_cast<std::uint32_t>(t_ >> 32);
  if (last)
    v[14] = ~v[14];
  for (const auto& s : sigma) {
    mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (int i = 0; i < 8; ++i)
    h_[i] ^= v[i] ^ v[i + 8];
  sodium_memzero(m, sizeof m);
  sodium_memzero(v, sizeof v);
}

void blake2s::update(const std::uint8_t* in, std::size_t len) noexcept {
  // The final block must be compressed with the "last" flag, so a full
  // buffer is only compressed once more input shows it was not the last.
  while (len > 0) {
    if (buffered_ == block_size) {
      t_ += block_size;
      compress(buf_, false);
      buffered_ = 0;
    }
    if (buffered_ == 0) {
      while (len > block_size) {
        t_ += block_size;
        compress(in, false);
        in += block_size;
        len -= block_size;
      }
    }
    std::size_t n = std::min(block_size - buffered_, len);
    std::memcpy(buf_ + buffered_, in, n);
    buffered_ += n;
    in += n;
    len -= n;
  }
}

void blake2s::final(std::uint8_t* out) noexcept {
  t_ += buffered_;
  std::memset(buf_ + buffered_, 0, block_size - buffered_);
  compress(buf_, true);
  for (std::size_t i = 0; i < outlen_; ++i)
    out[i] = static_cast<std::uint8_t>(h_[i / 4] >> (8 * (i % 4)));
  sodium_memzero(this, sizeof(*this));
}

bool blake2s_hash(std::uint8_t* out, std::size_t outlen, const std::uint8_t* in,
                  std::size_t inlen, const std::uint8_t* key, std::size_t keylen) noexcept {
  blake2s state;
  if (!state.init(outlen, key, keylen))
    return false;
  state.update(in, inlen);
  state.final(out);
  return true;
}

digest32 hash(const std::uint8_t* in, std::size_t len) noexcept {
  digest32 out;
  blake2s state;
  state.init(out.size());
  state.update(in, len);
  state.final(out.data());
  return out;
}

digest32 hash(const std::uint8_t* a, std::size_t alen, const std::uint8_t* b,
              std::size_t blen) noexcept {
  digest32 out;
  blake2s state;
  state.init(out.size());
  state.update(a, alen);
  state.update(b, blen);
  state.final(out.data());
  return out;
}

mac16 mac(const std::uint8_t* key, std::size_t keylen, const std::uint8_t* in,
          std::size_t len) noexcept {
  mac16 out{};
  blake2s state;
  if (!state.init(out.size(), key, keylen))
    return out; // cannot happen for WireGuard's 16/32-byte keys
  state.update(in, len);
  state.final(out.data());
  return out;
}

digest32 hmac_blake2s(const std::uint8_t* key, std::size_t keylen, const std::uint8_t* in,
                      std::size_t len) noexcept {
  std::uint8_t block[blake2s::block_size] = {};
  if (keylen > blake2s::block_size) {
    digest32 k = hash(key, keylen);
    std::memcpy(block, k.data(), k.size());
    sodium_memzero(k.data(), k.size());
  } else if (keylen > 0) {
    std::memcpy(block, key, keylen);
  }
  for (auto& b : block)
    b ^= 0x36;
  digest32 inner;
  blake2s state;
  state.init(inner.size());
  state.update(block, sizeof block);
  state.update(in, len);
  state.final(inner.data());
  for (auto& b : block)
    b ^= 0x36 ^ 0x5c;
  digest32 out;
  state.init(out.size());
  state.update(block, sizeof block);
  state.update(inner.data(), inner.size());
  state.final(out.data());
  sodium_memzero(block, sizeof block);
  sodium_memzero(inner.data(), inner.size());
  return out;
}

namespace {

// T1..Tn into out[0..n): the shared body of kdf1/2/3. Works on copies so
// that callers may pass the chaining key as both input and output.
void kdf(digest32* const* out, int n, const digest32& key, const std::uint8_t* in,
         std::size_t len) noexcept {
  digest32 t0 = hmac_blake2s(key.data(), key.size(), in, len);
  digest32 prev{};
  std::uint8_t buf[33];
  for (int i = 1; i <= n; ++i) {
    std::size_t blen = 0;
    if (i > 1) {
      std::memcpy(buf, prev.data(), prev.size());
      blen = prev.size();
    }
    buf[blen++] = static_cast<std::uint8_t>(i);
    prev = hmac_blake2s(t0.data(), t0.size(), buf, blen);
    *out[i - 1] = prev;
  }
  sodium_memzero(t0.data(), t0.size());
  sodium_memzero(prev.data(), prev.size());
  sodium_memzero(buf, sizeof buf);
}

} // namespace

void kdf1(digest32& t1, const digest32& key, const std::uint8_t* in, std::size_t len) noexcept {
  digest32* out[] = {&t1};
  kdf(out, 1, key, in, len);
}

void kdf2(digest32& t1, digest32& t2, const digest32& key, const std::uint8_t* in,
          std::size_t len) noexcept {
  digest32* out[] = {&t1, &t2};
  kdf(out, 2, key, in, len);
}

void kdf3(digest32& t1, digest32& t2, digest32& t3, const digest32& key,
          const std::uint8_t* in, std::size_t len) noexcept {
  digest32* out[] = {&t1, &t2, &t3};
  kdf(out, 3, key, in, len);
}

} // namespace overlayd::net::wg
