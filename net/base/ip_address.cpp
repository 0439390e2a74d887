#include "net/base/ip_address.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace overlayd::net {

ip_address ip_address::v4(std::uint32_t host_order) {
  ip_address a;
  a.family_ = family::v4;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

ip_address ip_address::v6(const std::array<std::uint8_t, 16>& bytes) {
  ip_address a;
  a.family_ = family::v6;
  a.bytes_ = bytes;
  return a;
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
  // inet_pton needs a terminated string; longer input cannot be an address.
  char buf[64];
  if (text.empty() || text.size() >= sizeof(buf))
    return std::nullopt;
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  ip_address a;
  // glibc's inet_pton(AF_INET) accepts exactly four decimal octets and
  // rejects leading zeros, matching Rust's Ipv4Addr parser.
  if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
    a.family_ = family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = family::v6;
    return a;
  }
  return std::nullopt;
}

std::uint32_t ip_address::v4_value() const noexcept {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16)
         | (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

bool ip_address::is_unspecified() const noexcept {
  std::size_t n = is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i)
    if (bytes_[i] != 0)
      return false;
  return true;
}

ip_address ip_address::plus(std::uint64_t offset) const noexcept {
  ip_address r = *this;
  if (is_v4()) {
    return v4(v4_value() + static_cast<std::uint32_t>(offset));
  }
  // 128-bit add, big-endian bytes.
  unsigned carry = 0;
  for (int i = 15; i >= 0; --i) {
    unsigned add = static_cast<unsigned>(offset & 0xff) + carry;
    offset >>= 8;
    unsigned sum = r.bytes_[i] + add;
    r.bytes_[i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  return r;
}

ip_address ip_address::minus(std::uint64_t offset) const noexcept {
  ip_address r = *this;
  if (is_v4())
    return v4(v4_value() - static_cast<std::uint32_t>(offset));
  unsigned borrow = 0;
  for (int i = 15; i >= 0; --i) {
    int sub = static_cast<int>(offset & 0xff) + static_cast<int>(borrow);
    offset >>= 8;
    int diff = static_cast<int>(r.bytes_[i]) - sub;
    borrow = diff < 0 ? 1 : 0;
    r.bytes_[i] = static_cast<std::uint8_t>(diff + (borrow ? 256 : 0));
  }
  return r;
}

std::string ip_address::to_string() const {
  char out[64];
  if (is_v4()) {
    std::snprintf(out, sizeof(out), "%u.%u.%u.%u", bytes_[0], bytes_[1],
                  bytes_[2], bytes_[3]);
    return out;
  }
  std::uint16_t seg[8];
  for (int i = 0; i < 8; ++i)
    seg[i] = static_cast<std::uint16_t>((bytes_[2 * i] << 8) | bytes_[2 * i + 1]);
  // Rust prints IPv4-mapped addresses (::ffff:a.b.c.d) in dotted form.
  bool mapped = seg[0] == 0 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0
                && seg[4] == 0 && seg[5] == 0xffff;
  if (mapped) {
    std::snprintf(out, sizeof(out), "::ffff:%u.%u.%u.%u", bytes_[12],
                  bytes_[13], bytes_[14], bytes_[15]);
    return out;
  }
  // RFC 5952: compress the longest run (first on ties) of two or more zero
  // groups with "::".
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (seg[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && seg[j] == 0)
      ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2)
    best_start = -1;
  std::string s;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':')
      s += ':';
    char g[8];
    std::snprintf(g, sizeof(g), "%x", seg[i]);
    s += g;
  }
  return s;
}

} // namespace overlayd::net
