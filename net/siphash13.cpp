#include "net/siphash13.hpp"

namespace overlayd::net {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct sip_state {
  std::uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }

  // The "1" in 1-3: one round per 8-byte block.
  void compress(std::uint64_t m) {
    v3 ^= m;
    round();
    v0 ^= m;
  }
};

// Little-endian load regardless of host byte order; SipHash is defined on LE words.
std::uint64_t load_le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t m = 0;
  for (std::size_t i = 0; i < n; ++i)
    m |= std::uint64_t{p[i]} << (8 * i);
  return m;
}

} // namespace

std::uint64_t siphash13(const std::uint8_t* data, std::size_t len, std::uint64_t k0,
                        std::uint64_t k1) {
  sip_state s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
              k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};

  const std::size_t full = len - len % 8;
  for (std::size_t i = 0; i < full; i += 8)
    s.compress(load_le(data + i, 8));

  // Last block: the remaining bytes, with the message length (mod 256) in the top byte.
  std::uint64_t last = (std::uint64_t{len} << 56) | load_le(data + full, len - full);
  s.compress(last);

  // The "3" in 1-3: three finalization rounds.
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t siphash13(std::string_view s, std::uint64_t k0, std::uint64_t k1) {
  return siphash13(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), k0, k1);
}

} // namespace overlayd::net
