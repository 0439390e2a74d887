// gso_split: cutting what a TUN device with offloads hands us into packets
// that fit the tunnel, the software segmentation the kernel would have done
// had the TUN not advertised TSO (tcp_gso_segment, __udp_gso_segment and
// skb_checksum_help in the kernel; gsoSplit and gsoNoneChecksum in
// wireguard-go's tun/offload_linux.go).
//
// With TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 [| TUN_F_USO4 |
// TUN_F_USO6]) a read returns a virtio_net_hdr and then either
//  - one packet (gso_type none), maybe with its transport checksum left for
//    us (flags & needs_csum: the pseudo-header sum is in the field), or
//  - a TCP or UDP "super-packet" of up to 64 KiB: one IP header, one
//    transport header, and a payload to cut into gso_size pieces.
//
// Each output segment is a complete packet: IPv4 total length, id (first +
// i) and header checksum, or IPv6 payload length, rewritten; TCP sequence
// numbers advanced, FIN and PSH only on the last segment and CWR only on the
// first (as tcp_gso_segment does); UDP length per datagram; every transport
// checksum computed in full.
//
// Trust: the header and packet come from the kernel but are parsed as if
// hostile. The IP and transport header lengths come from the packet itself
// and must agree with the IP length field and with csum_start/csum_offset.
// hdr_len must cover those headers and lie within the packet, but may be
// longer: on the forwarding path the kernel reports the skb's linear length
// there, which can be the whole first segment (wireguard-go makes the same
// observation), so it is checked, not used. IPv6 extension headers and IPv4
// fragments are refused. The obsolete UFO type (gso_udp) is refused.
//
// No allocation: the caller provides every output buffer (none of which may
// overlap the input).
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/packet/virtio_net_hdr.hpp"

namespace overlayd::net::packet {

struct segment_out {
  std::uint8_t* data;    // where to write one packet
  std::size_t capacity;  // bytes writable at data
  std::size_t length;    // set to the packet's length when one is written
};

// Splits `packet` (the bytes after the virtio_net_hdr of one TUN read) into
// out[0..n) and returns n. Returns 0, leaving every output untouched, when
// the input is malformed or inconsistent, when it needs more than `max_out`
// segments, or when any segment does not fit its buffer: callers never see a
// partial split.
std::size_t split_for_send(const virtio_net_hdr& hdr, const std::uint8_t* packet,
                           std::size_t length, segment_out* out, std::size_t max_out) noexcept;

} // namespace overlayd::net::packet
