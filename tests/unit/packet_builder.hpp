// Test helpers for net/packet: builds IPv4/IPv6 TCP and UDP packets byte by
// byte, and checks checksums with a deliberately naive RFC 1071 sum (16-bit
// big-endian words, one at a time) that shares no code with checksum.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "net/base/byte_order.hpp"
#include "net/packet/virtio_net_hdr.hpp"

namespace overlayd::testing {

using bytes = std::vector<std::uint8_t>;

// -- reference checksum --

inline std::uint32_t naive_sum(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 == 1)
    sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

inline bool is_v6(const std::uint8_t* p) { return (p[0] >> 4) == 6; }
inline std::size_t ip_header_len(const std::uint8_t* p) { return is_v6(p) ? 40 : std::size_t{p[0] & 15u} * 4; }

// The pseudo-header laid out as bytes (RFC 793 for IPv4, RFC 8200 8.1 for
// IPv6) and summed naively.
inline std::uint32_t naive_pseudo_sum(const std::uint8_t* ip, std::uint8_t protocol, std::size_t l4_len) {
  bytes ph;
  if (is_v6(ip)) {
    ph.assign(ip + 8, ip + 40);
    ph.insert(ph.end(), {static_cast<std::uint8_t>(l4_len >> 24), static_cast<std::uint8_t>(l4_len >> 16),
                         static_cast<std::uint8_t>(l4_len >> 8), static_cast<std::uint8_t>(l4_len), 0, 0, 0,
                         protocol});
  } else {
    ph.assign(ip + 12, ip + 20);
    ph.insert(ph.end(), {0, protocol, static_cast<std::uint8_t>(l4_len >> 8), static_cast<std::uint8_t>(l4_len)});
  }
  return naive_sum(ph.data(), ph.size());
}

// True when the transport checksum of the packet verifies: everything,
// pseudo-header included, sums to 0xffff.
inline bool l4_checksum_ok(const std::uint8_t* p, std::size_t len, std::uint8_t protocol) {
  std::size_t ihl = ip_header_len(p);
  return naive_sum(p + ihl, len - ihl, naive_pseudo_sum(p, protocol, len - ihl)) == 0xffff;
}

inline bool ipv4_checksum_ok(const std::uint8_t* p) { return naive_sum(p, ip_header_len(p)) == 0xffff; }

// -- packet builder --

struct tcp_spec {
  bool v6 = false;
  std::uint32_t seq = 1000;
  std::uint32_t ack = 77777;
  std::uint8_t flags = 0x10; // ACK
  std::uint16_t window = 502;
  std::uint16_t ip_id = 0x1234;
  bool df = true;
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint16_t src_port = 40000;
  std::uint16_t dst_port = 5201;
  std::uint8_t src_last = 1; // last byte of the source address (to make flows)
  bool timestamps = true;    // 12 bytes of options: NOP NOP TS
  std::size_t ipv4_options = 0; // words of IPv4 options (NOPs + EOL)
  std::uint32_t flow_label = 0x12345;
};

inline std::size_t headers_len(const tcp_spec& s) {
  return (s.v6 ? 40 : 20 + 4 * s.ipv4_options) + (s.timestamps ? 32 : 20);
}

// A TCP packet with complete, valid checksums.
inline bytes make_tcp(const tcp_spec& s, const bytes& payload) {
  const std::size_t ihl = s.v6 ? 40 : 20 + 4 * s.ipv4_options;
  const std::size_t thl = s.timestamps ? 32 : 20;
  bytes p(ihl + thl + payload.size(), 0);
  std::uint8_t* ip = p.data();
  if (s.v6) {
    overlayd::store_be32(ip, 6u << 28 | std::uint32_t{s.tos} << 20 | (s.flow_label & 0xfffff));
    overlayd::store_be16(ip + 4, static_cast<std::uint32_t>(p.size() - 40));
    ip[6] = 6;
    ip[7] = s.ttl;
    const std::uint8_t src[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, s.src_last};
    const std::uint8_t dst[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02};
    std::memcpy(ip + 8, src, 16);
    std::memcpy(ip + 24, dst, 16);
  } else {
    ip[0] = static_cast<std::uint8_t>(0x40 | (ihl / 4));
    ip[1] = s.tos;
    overlayd::store_be16(ip + 2, static_cast<std::uint32_t>(p.size()));
    overlayd::store_be16(ip + 4, s.ip_id);
    overlayd::store_be16(ip + 6, s.df ? 0x4000 : 0);
    ip[8] = s.ttl;
    ip[9] = 6;
    const std::uint8_t addrs[8] = {10, 7, 0, s.src_last, 10, 7, 1, 2};
    std::memcpy(ip + 12, addrs, 8);
    for (std::size_t i = 20; i < ihl; ++i)
      ip[i] = i + 1 == ihl ? 0 : 1; // NOPs, then EOL
    overlayd::store_be16(ip + 10, static_cast<std::uint16_t>(~naive_sum(ip, ihl)));
  }
  std::uint8_t* th = ip + ihl;
  overlayd::store_be16(th, s.src_port);
  overlayd::store_be16(th + 2, s.dst_port);
  overlayd::store_be32(th + 4, s.seq);
  overlayd::store_be32(th + 8, s.ack);
  th[12] = static_cast<std::uint8_t>((thl / 4) << 4);
  th[13] = s.flags;
  overlayd::store_be16(th + 14, s.window);
  if (s.timestamps) {
    const std::uint8_t ts[12] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    std::memcpy(th + 20, ts, 12);
  }
  std::copy(payload.begin(), payload.end(), th + thl);
  overlayd::store_be16(th + 16, static_cast<std::uint16_t>(~naive_sum(th, thl + payload.size(),
                                                       naive_pseudo_sum(ip, 6, thl + payload.size()))));
  return p;
}

// The checksum field of a TSO super-packet as the kernel hands it over with
// NEEDS_CSUM: the folded pseudo-header sum over the whole TCP length.
inline void set_partial_checksum(bytes& p, std::uint8_t protocol, std::size_t csum_offset) {
  const std::size_t ihl = ip_header_len(p.data());
  overlayd::store_be16(p.data() + ihl + csum_offset, naive_pseudo_sum(p.data(), protocol, p.size() - ihl));
}

// A super-packet and the virtio_net_hdr the kernel would put in front of it.
inline bytes make_tso(const tcp_spec& s, const bytes& payload, std::uint16_t gso_size,
                      net::packet::virtio_net_hdr& hdr) {
  bytes p = make_tcp(s, payload);
  set_partial_checksum(p, 6, 16);
  const std::size_t ihl = ip_header_len(p.data());
  hdr = {};
  hdr.flags = net::packet::virtio_net_hdr_f_needs_csum;
  hdr.gso_type = s.v6 ? net::packet::virtio_net_hdr_gso_tcpv6 : net::packet::virtio_net_hdr_gso_tcpv4;
  if (s.flags & 0x80)
    hdr.gso_type |= net::packet::virtio_net_hdr_gso_ecn;
  hdr.hdr_len = static_cast<std::uint16_t>(headers_len(s));
  hdr.gso_size = gso_size;
  hdr.csum_start = static_cast<std::uint16_t>(ihl);
  hdr.csum_offset = 16;
  return p;
}

// A UDP packet with a valid checksum.
inline bytes make_udp(bool v6, const bytes& payload) {
  const std::size_t ihl = v6 ? 40 : 20;
  bytes p(ihl + 8 + payload.size(), 0);
  std::uint8_t* ip = p.data();
  if (v6) {
    ip[0] = 0x60;
    overlayd::store_be16(ip + 4, static_cast<std::uint32_t>(p.size() - 40));
    ip[6] = 17;
    ip[7] = 64;
    ip[8] = 0xfd;
    ip[23] = 1;
    ip[24] = 0xfd;
    ip[39] = 2;
  } else {
    ip[0] = 0x45;
    overlayd::store_be16(ip + 2, static_cast<std::uint32_t>(p.size()));
    overlayd::store_be16(ip + 4, 0x4242);
    overlayd::store_be16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    const std::uint8_t addrs[8] = {10, 7, 0, 1, 10, 7, 1, 2};
    std::memcpy(ip + 12, addrs, 8);
    overlayd::store_be16(ip + 10, static_cast<std::uint16_t>(~naive_sum(ip, 20)));
  }
  std::uint8_t* uh = ip + ihl;
  overlayd::store_be16(uh, 51820);
  overlayd::store_be16(uh + 2, 53);
  overlayd::store_be16(uh + 4, static_cast<std::uint32_t>(8 + payload.size()));
  std::copy(payload.begin(), payload.end(), uh + 8);
  std::uint16_t c = static_cast<std::uint16_t>(~naive_sum(uh, 8 + payload.size(),
                                                           naive_pseudo_sum(ip, 17, 8 + payload.size())));
  overlayd::store_be16(uh + 6, c == 0 ? 0xffff : c);
  return p;
}

inline bytes pattern(std::size_t n, std::uint32_t seed = 1) {
  bytes b(n);
  std::uint32_t x = seed * 2654435761u + 12345;
  for (auto& c : b) {
    x = x * 1103515245u + 12345;
    c = static_cast<std::uint8_t>(x >> 16);
  }
  return b;
}

} // namespace overlayd::testing
