// tcp_coalescer: the receive side of TUN offloads, software GRO for TCP
// (tcp_gro_receive / inet_gro_receive / ipv6_gro_receive in the kernel;
// tcpGRO and applyTCPCoalesceAccounting in wireguard-go's
// tun/offload_linux.go and tcp_offload_linux.go).
//
// A batch of decrypted packets is about to be written to a TUN device opened
// with IFF_VNET_HDR and TUN_F_TSO4/6. Consecutive TCP segments of one flow
// are appended to the first one in its buffer (or, when that has no room
// behind it, in a spare buffer the first one is copied to), and the merged packet is
// written once with a virtio_net_hdr asking the kernel to treat it as a TSO
// super-packet: one write and one trip through the stack instead of dozens.
//
// What merges (the kernel's GRO rules, which its resegmentation undoes
// exactly): same IP version, addresses and ports; IPv4 without options or
// fragmentation, with a valid header checksum and equal TOS, TTL and flag
// bits (and, without DF, consecutive ids, which resegmentation regenerates);
// IPv6 without extension headers, with equal traffic class, flow label and
// hop limit; equal TCP header length, options, ACK number, window and urgent
// pointer; contiguous sequence numbers; flags ACK (plus ECE if every segment
// has it; CWR only on the first; PSH only on the last, which ends the run);
// every payload as large as the first except the last, which may be smaller
// and ends the run. Every merged segment's TCP checksum is verified first:
// the kernel recomputes the checksum of a merged packet, so merging a
// corrupted segment would launder it (wireguard-go checks too).
//
// Order: each flow has at most one open merge, and segments are only ever
// appended to it (wireguard-go also prepends; reordered segments simply go
// alone here), so a flow's packets reach the TUN in their original order. A
// packet of the flow that does not merge (a pure ACK, a FIN, a gap) closes
// the merge. Up to max_open_flows merges are open at once; a segment that
// would open one more is written alone (still correct, only less merged).
//
// A merged packet is written with flags needs_csum, gso_type tcpv4/tcpv6
// (plus gso_ecn when its first segment carries CWR), hdr_len = IP + TCP
// header length, gso_size = first payload size, csum_start = IP header
// length, csum_offset = 16, its TCP checksum field holding the folded,
// uncomplemented pseudo-header sum over the new TCP length (CHECKSUM_PARTIAL,
// completed by the kernel), its IPv4 total length and header checksum or
// IPv6 payload length rewritten. Everything else is written unchanged with an
// all-zero virtio_net_hdr: its checksum came over the wire complete, and the
// kernel verifies it.
//
// No allocation, no state between calls; the flow table lives on the stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/packet/virtio_net_hdr.hpp"

namespace overlayd::net::packet {

// One decrypted IP packet. The virtio_net_hdr is written into the
// virtio_net_hdr_size bytes in front of `data`, which the caller must own.
struct gro_packet {
  std::uint8_t* data;
  std::size_t length;
  std::size_t capacity; // bytes usable from data onwards (>= length)
};

// One write(2) for the TUN: a virtio_net_hdr, then the packet.
struct tun_write {
  const std::uint8_t* data;
  std::size_t length;
};

// Spare buffers a merge may move its first packet into when that packet's
// own buffer has no room behind it, as when UDP GRO hands over datagrams
// packed back to back: `count` buffers of `size` bytes each, the packet
// going virtio_net_hdr_size bytes in. Only this call uses them.
struct merge_space {
  std::uint8_t* base = nullptr;
  std::size_t size = 0;
  std::size_t count = 0;
};

inline constexpr std::size_t max_open_flows = 64;

// Coalesces `packets` in place and fills `writes` (room for `count`) with
// what to write to the TUN, in order; returns how many. Buffers of packets
// merged into an earlier one are not written and may be reused. Packets with
// a null `data` or a zero length produce no write. The gro_packet entries
// themselves are not modified.
std::size_t coalesce_for_tun(gro_packet* packets, std::size_t count, tun_write* writes,
                             merge_space spare = {}) noexcept;

} // namespace overlayd::net::packet
