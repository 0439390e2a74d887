#include "net/packet/gso_split.hpp"

#include <algorithm>
#include <cstring>

#include "net/packet/checksum.hpp"
#include "net/packet/header_fields.hpp"

namespace overlayd::net::packet {

namespace {

using namespace header_fields;

// What the split needs to know about a super-packet's headers, all of it
// read from the packet and checked against its length.
struct layout {
  bool v6 = false;
  bool udp = false;
  std::size_t ip_len = 0;    // IP header bytes (csum_start)
  std::size_t l4_len = 0;    // TCP or UDP header bytes
  std::size_t addr_at = 0;   // source address; the destination follows
  std::size_t addr_len = 0;  // 4 or 16
  std::uint8_t protocol = 0;
};

// gso_type none: one packet, whose checksum we may have to finish, as
// skb_checksum_help does: the field holds the pseudo-header sum, so summing
// from csum_start to the end with the field included gives the total.
std::size_t split_none(const virtio_net_hdr& hdr, const std::uint8_t* packet, std::size_t length,
                       segment_out* out, std::size_t max_out) noexcept {
  if (length == 0 || max_out == 0 || out[0].data == nullptr || out[0].capacity < length)
    return 0;
  const bool needs_csum = (hdr.flags & virtio_net_hdr_f_needs_csum) != 0;
  const std::size_t start = hdr.csum_start;
  const std::size_t at = start + hdr.csum_offset;
  // An odd offset would put the field across two words of the sum: no
  // protocol does that, and the result would be wrong, so refuse it.
  if (needs_csum && (at + 2 > length || (hdr.csum_offset & 1) != 0))
    return 0;
  std::memcpy(out[0].data, packet, length);
  if (needs_csum) {
    std::uint16_t c = checksum_fold(checksum_partial(out[0].data + start, length - start));
    // 0 and 0xffff are the same ones' complement number, but UDP reserves a
    // transmitted 0 for "no checksum" (the kernel's CSUM_MANGLED_0).
    store_be16(out[0].data + at, c == 0 ? 0xffff : c);
  }
  out[0].length = length;
  return 1;
}

// Reads and checks the IP and transport headers; false for anything the
// split cannot cut faithfully.
bool parse_layout(const virtio_net_hdr& hdr, const std::uint8_t* p, std::size_t length,
                  layout& l) noexcept {
  const std::uint8_t type = hdr.gso_type & static_cast<std::uint8_t>(~virtio_net_hdr_gso_ecn);
  l.udp = type == virtio_net_hdr_gso_udp_l4;
  if (l.udp && (hdr.gso_type & virtio_net_hdr_gso_ecn) != 0)
    return false; // ECN means TCP CWR
  if (length == 0)
    return false;
  const unsigned version = p[0] >> 4;
  if (version == 4) {
    if (type != virtio_net_hdr_gso_tcpv4 && !l.udp)
      return false;
    if (length < ipv4_min_header)
      return false;
    l.ip_len = std::size_t{p[0] & 0x0fu} * 4;
    if (l.ip_len < ipv4_min_header || l.ip_len > length)
      return false;
    if (load_be16(p + ipv4_total_length) != length)
      return false;
    // A fragment's transport header is elsewhere (or nowhere).
    if ((load_be16(p + ipv4_flags_fragment) & (ipv4_flag_mf | ipv4_fragment_offset_mask)) != 0)
      return false;
    l.protocol = p[ipv4_protocol];
    l.addr_at = ipv4_src;
    l.addr_len = 4;
  } else if (version == 6) {
    if (type != virtio_net_hdr_gso_tcpv6 && !l.udp)
      return false;
    if (length < ipv6_header)
      return false;
    l.v6 = true;
    l.ip_len = ipv6_header;
    // A payload length of 0 would be a jumbogram (BIG TCP): refused here.
    if (std::size_t{load_be16(p + ipv6_payload_length)} + ipv6_header != length)
      return false;
    l.protocol = p[ipv6_next_header]; // extension headers are refused here
    l.addr_at = ipv6_src;
    l.addr_len = 16;
  } else {
    return false;
  }
  if (l.protocol != (l.udp ? protocol_udp : protocol_tcp))
    return false;

  if (l.udp) {
    l.l4_len = udp_header;
  } else {
    if (l.ip_len + tcp_min_header > length)
      return false;
    l.l4_len = (std::size_t{p[l.ip_len + tcp_data_offset]} >> 4) * 4;
    if (l.l4_len < tcp_min_header)
      return false;
  }
  const std::size_t headers = l.ip_len + l.l4_len;
  if (headers > length)
    return false;

  if ((hdr.flags & virtio_net_hdr_f_needs_csum) != 0
      && (hdr.csum_start != l.ip_len || hdr.csum_offset != (l.udp ? udp_checksum : tcp_checksum)))
    return false;
  // hdr_len is the skb's linear length, at least the headers (see header).
  if (hdr.hdr_len < headers || hdr.hdr_len > length)
    return false;
  return true;
}

std::size_t split_segments(const virtio_net_hdr& hdr, const std::uint8_t* packet, std::size_t length,
                           segment_out* out, std::size_t max_out) noexcept {
  layout l;
  if (!parse_layout(hdr, packet, length, l))
    return 0;
  const std::size_t headers = l.ip_len + l.l4_len;
  const std::size_t payload = length - headers;
  const std::size_t gso_size = hdr.gso_size;
  if (gso_size == 0 || payload == 0)
    return 0;
  const std::size_t count = (payload + gso_size - 1) / gso_size;
  if (count > max_out)
    return 0;
  // Check every buffer before writing any, so a refusal leaves nothing behind.
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t piece = std::min(gso_size, payload - i * gso_size);
    if (out[i].data == nullptr || out[i].capacity < headers + piece)
      return 0;
  }

  const std::uint32_t first_seq = l.udp ? 0 : load_be32(packet + l.ip_len + tcp_seq);
  const std::uint32_t first_id = l.v6 ? 0 : load_be16(packet + ipv4_id);
  // The addresses and protocol are the same in every segment; only the
  // length part of the pseudo-header changes.
  const std::uint32_t address_sum = pseudo_header_sum(packet + l.addr_at, packet + l.addr_at + l.addr_len,
                                                      l.addr_len, l.protocol, 0);
  std::size_t from = headers;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t piece = std::min(gso_size, payload - (from - headers));
    const std::size_t total = headers + piece;
    const std::size_t l4_total = l.l4_len + piece;
    std::uint8_t* d = out[i].data;
    std::memcpy(d, packet, headers); // the payload is copied with its checksum below

    if (l.v6) {
      store_be16(d + ipv6_payload_length, static_cast<std::uint32_t>(total - ipv6_header));
    } else {
      store_be16(d + ipv4_total_length, static_cast<std::uint32_t>(total));
      store_be16(d + ipv4_id, first_id + static_cast<std::uint32_t>(i)); // wraps mod 2^16
      store_be16(d + ipv4_checksum, ipv4_header_checksum(d));
    }

    std::uint8_t* l4 = d + l.ip_len;
    std::size_t checksum_at;
    if (l.udp) {
      store_be16(l4 + udp_length, static_cast<std::uint32_t>(l4_total));
      checksum_at = udp_checksum;
    } else {
      store_be32(l4 + tcp_seq, first_seq + static_cast<std::uint32_t>(i * gso_size)); // wraps mod 2^32
      // tcp_gso_segment: FIN and PSH belong to the end of the data, CWR to
      // its start; the receiver must see each once.
      if (i + 1 < count)
        l4[tcp_flags] &= static_cast<std::uint8_t>(~(tcp_fin | tcp_psh));
      if (i > 0)
        l4[tcp_flags] &= static_cast<std::uint8_t>(~tcp_cwr);
      checksum_at = tcp_checksum;
    }
    store_be16(l4 + checksum_at, 0);
    // The header's length is a multiple of 4, so the sums chain evenly.
    std::uint32_t sum = checksum_partial(l4, l.l4_len, address_sum + static_cast<std::uint32_t>(l4_total));
    sum = checksum_copy(d + headers, packet + from, piece, sum);
    std::uint16_t c = checksum_fold(sum);
    if (l.udp && c == 0)
      c = 0xffff; // UDP's "no checksum" is 0; send the other zero
    store_be16(l4 + checksum_at, c);

    out[i].length = total;
    from += piece;
  }
  return count;
}

} // namespace

std::size_t split_for_send(const virtio_net_hdr& hdr, const std::uint8_t* packet,
                           std::size_t length, segment_out* out, std::size_t max_out) noexcept {
  if (packet == nullptr || (max_out != 0 && out == nullptr))
    return 0;
  switch (hdr.gso_type & static_cast<std::uint8_t>(~virtio_net_hdr_gso_ecn)) {
  case virtio_net_hdr_gso_none:
    if (hdr.gso_type != virtio_net_hdr_gso_none)
      return 0; // ECN without TCP
    return split_none(hdr, packet, length, out, max_out);
  case virtio_net_hdr_gso_tcpv4:
  case virtio_net_hdr_gso_tcpv6:
  case virtio_net_hdr_gso_udp_l4:
    return split_segments(hdr, packet, length, out, max_out);
  default:
    return 0; // UFO and unknown types
  }
}

} // namespace overlayd::net::packet
