#include "net/packet/checksum.hpp"

#include <cstring>

namespace overlayd::net::packet {

namespace {

constexpr bool host_is_little_endian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// Any 64-bit ones' complement accumulator down to 16 bits; the end-around
// carries are what make a wider sum equal to the 16-bit one.
inline std::uint32_t fold_to_16(std::uint64_t s) noexcept {
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffu) + (s >> 16);
  s = (s & 0xffffu) + (s >> 16);
  return static_cast<std::uint32_t>(s);
}

inline std::uint32_t swap16(std::uint32_t v) noexcept {
  return ((v & 0xffu) << 8) | (v >> 8);
}

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::uint32_t load32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::uint16_t load16(const std::uint8_t* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store64(std::uint8_t* p, std::uint64_t v) noexcept { std::memcpy(p, &v, sizeof v); }

// The sum in host byte order: words are loaded as the host lays them out and
// swapped once at the end (on a big-endian host the two orders agree). Each
// 64-bit load is split into 32-bit halves added into 64-bit accumulators, so
// no carry is ever lost (2^32 additions would be needed to overflow) and the
// four accumulators carry no dependency on each other. With `copy`, every
// word loaded is also stored to `dst`: one pass over the data instead of a
// memcpy and a sum, about twice as fast for packet-sized buffers.
template <bool copy>
std::uint64_t sum_host_order(std::uint8_t* dst, const std::uint8_t* p, std::size_t len) noexcept {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  while (len >= 32) {
    std::uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16), w3 = load64(p + 24);
    if constexpr (copy) {
      store64(dst, w0);
      store64(dst + 8, w1);
      store64(dst + 16, w2);
      store64(dst + 24, w3);
      dst += 32;
    }
    a += (w0 & 0xffffffffu) + (w0 >> 32);
    b += (w1 & 0xffffffffu) + (w1 >> 32);
    c += (w2 & 0xffffffffu) + (w2 >> 32);
    d += (w3 & 0xffffffffu) + (w3 >> 32);
    p += 32;
    len -= 32;
  }
  while (len >= 8) {
    std::uint64_t w = load64(p);
    if constexpr (copy) {
      store64(dst, w);
      dst += 8;
    }
    a += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    len -= 8;
  }
  if constexpr (copy)
    std::memcpy(dst, p, len); // the last 0..7 bytes
  if (len >= 4) {
    b += load32(p);
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    c += load16(p);
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    // The odd last byte is the high half of a zero-padded big-endian word:
    // in a little-endian sum that is the low half, swapped up at the end.
    d += host_is_little_endian ? std::uint64_t{*p} : std::uint64_t{*p} << 8;
  }
  // Each 32-byte round adds under 2^34 to the four together, so the total
  // cannot overflow for any buffer shorter than 2^34 rounds.
  return a + b + c + d;
}

// From a host-order sum and a big-endian `initial` to the big-endian result.
inline std::uint32_t finish(std::uint64_t host, std::uint32_t initial) noexcept {
  if constexpr (host_is_little_endian) {
    // Ones' complement addition commutes with swapping the bytes of every
    // word, so the big-endian `initial` joins the little-endian sum swapped.
    host += swap16(fold_to_16(initial));
    return swap16(fold_to_16(host));
  } else {
    return fold_to_16(host + initial);
  }
}

} // namespace

std::uint32_t checksum_partial(const std::uint8_t* data, std::size_t len,
                               std::uint32_t initial) noexcept {
  return finish(len == 0 ? 0 : sum_host_order<false>(nullptr, data, len), initial);
}

std::uint32_t checksum_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t len,
                            std::uint32_t initial) noexcept {
  return finish(len == 0 ? 0 : sum_host_order<true>(dst, src, len), initial);
}

std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
  return static_cast<std::uint16_t>(~fold_to_16(sum));
}

std::uint32_t pseudo_header_sum(const std::uint8_t* src, const std::uint8_t* dst,
                                std::size_t addr_len, std::uint8_t protocol,
                                std::uint32_t l4_length) noexcept {
  std::uint64_t fields = std::uint64_t{protocol} + (l4_length >> 16) + (l4_length & 0xffffu);
  std::uint32_t sum = checksum_partial(src, addr_len, fold_to_16(fields));
  return checksum_partial(dst, addr_len, sum);
}

std::uint16_t ipv4_header_checksum(const std::uint8_t* ip_header) noexcept {
  std::size_t header_len = std::size_t{ip_header[0] & 0x0fu} * 4;
  if (header_len < 20)
    return 0;
  // Around the checksum field (bytes 10 and 11) rather than over a copy.
  std::uint32_t sum = checksum_partial(ip_header, 10);
  sum = checksum_partial(ip_header + 12, header_len - 12, sum);
  return checksum_fold(sum);
}

} // namespace overlayd::net::packet
