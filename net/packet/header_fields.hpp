// header_fields: where the fields that offloads touch sit in IPv4 (RFC 791),
// IPv6 (RFC 8200), TCP (RFC 9293) and UDP (RFC 768) headers. Internal to
// net/packet: the split and coalesce code read the same fields, and naming
// the offsets once keeps both honest.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/base/byte_order.hpp"

namespace overlayd::net::packet::header_fields {

// -- byte order (net/base/byte_order.hpp) --

using overlayd::load_be16;
using overlayd::load_be32;
using overlayd::store_be16;
using overlayd::store_be32;

// -- IPv4 --
inline constexpr std::size_t ipv4_min_header = 20;
inline constexpr std::size_t ipv4_tos = 1;
inline constexpr std::size_t ipv4_total_length = 2;
inline constexpr std::size_t ipv4_id = 4;
inline constexpr std::size_t ipv4_flags_fragment = 6; // 3 flag bits, 13 offset bits
inline constexpr std::size_t ipv4_ttl = 8;
inline constexpr std::size_t ipv4_protocol = 9;
inline constexpr std::size_t ipv4_checksum = 10;
inline constexpr std::size_t ipv4_src = 12; // then dst at 16
inline constexpr std::uint16_t ipv4_flag_df = 0x4000;
inline constexpr std::uint16_t ipv4_flag_mf = 0x2000;
inline constexpr std::uint16_t ipv4_fragment_offset_mask = 0x1fff;

// -- IPv6 --
inline constexpr std::size_t ipv6_header = 40;
inline constexpr std::size_t ipv6_payload_length = 4;
inline constexpr std::size_t ipv6_next_header = 6;
inline constexpr std::size_t ipv6_hop_limit = 7;
inline constexpr std::size_t ipv6_src = 8; // then dst at 24

// -- TCP --
inline constexpr std::size_t tcp_min_header = 20;
inline constexpr std::size_t tcp_seq = 4;
inline constexpr std::size_t tcp_ack = 8;
inline constexpr std::size_t tcp_data_offset = 12; // high nibble: header words
inline constexpr std::size_t tcp_flags = 13;
inline constexpr std::size_t tcp_window = 14;
inline constexpr std::size_t tcp_checksum = 16;
inline constexpr std::size_t tcp_urgent_pointer = 18;
inline constexpr std::uint8_t tcp_fin = 0x01;
inline constexpr std::uint8_t tcp_syn = 0x02;
inline constexpr std::uint8_t tcp_rst = 0x04;
inline constexpr std::uint8_t tcp_psh = 0x08;
inline constexpr std::uint8_t tcp_ack_flag = 0x10;
inline constexpr std::uint8_t tcp_urg = 0x20;
inline constexpr std::uint8_t tcp_ece = 0x40;
inline constexpr std::uint8_t tcp_cwr = 0x80;

// -- UDP --
inline constexpr std::size_t udp_header = 8;
inline constexpr std::size_t udp_length = 4;
inline constexpr std::size_t udp_checksum = 6;

inline constexpr std::uint8_t protocol_tcp = 6;
inline constexpr std::uint8_t protocol_udp = 17;

// The largest IP packet a 16-bit length field can describe; also the limit
// of a TUN read or write without BIG TCP.
inline constexpr std::size_t max_ip_packet = 65535;

} // namespace overlayd::net::packet::header_fields
