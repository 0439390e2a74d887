// virtio_net_hdr: the 10-byte header in front of every packet read from or
// written to a TUN device opened with IFF_VNET_HDR (struct virtio_net_hdr of
// include/uapi/linux/virtio_net.h, without the num_buffers of the mergeable
// variant, as wireguard-go's tun/offload_linux.go uses it).
//
// Byte order: the TUN device uses little-endian fields when TUNSETVNETLE is
// set and, by default, the "legacy" virtio order, which is the host's. We
// never set TUNSETVNETLE/BE, so the fields are in host order and a plain
// memcpy reads and writes them (identical on little-endian x86 and ARM).
//
// The constants keep the kernel's values but not its names: <linux/virtio_net.h>
// defines VIRTIO_NET_HDR_* as macros, which would rewrite same-named C++
// constants in any file that includes both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace overlayd::net::packet {

struct virtio_net_hdr {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = 0;
  std::uint16_t hdr_len = 0;     // length of the headers before the payload (a hint)
  std::uint16_t gso_size = 0;    // payload bytes per segment
  std::uint16_t csum_start = 0;  // where the checksum's coverage starts
  std::uint16_t csum_offset = 0; // where the checksum goes, after csum_start
};

inline constexpr std::size_t virtio_net_hdr_size = 10;
static_assert(sizeof(virtio_net_hdr) == virtio_net_hdr_size, "virtio_net_hdr is 10 bytes on the wire");

// -- flags --
// The checksum from csum_start to the end is still to be computed and stored
// at csum_start + csum_offset; the field holds the pseudo-header sum
// (CHECKSUM_PARTIAL in the kernel).
inline constexpr std::uint8_t virtio_net_hdr_f_needs_csum = 1;
// The kernel already verified the checksum (CHECKSUM_UNNECESSARY); reads may
// carry it, writes need not.
inline constexpr std::uint8_t virtio_net_hdr_f_data_valid = 2;

// -- gso_type --
inline constexpr std::uint8_t virtio_net_hdr_gso_none = 0;
inline constexpr std::uint8_t virtio_net_hdr_gso_tcpv4 = 1;
inline constexpr std::uint8_t virtio_net_hdr_gso_udp = 3; // UFO: IP fragmentation, obsolete
inline constexpr std::uint8_t virtio_net_hdr_gso_tcpv6 = 4;
inline constexpr std::uint8_t virtio_net_hdr_gso_udp_l4 = 5; // USO (Linux 6.2+)
// Or-ed into a TCP type: the super-packet carries CWR (SKB_GSO_TCP_ECN).
inline constexpr std::uint8_t virtio_net_hdr_gso_ecn = 0x80;

inline virtio_net_hdr read_virtio_net_hdr(const std::uint8_t* bytes) noexcept {
  virtio_net_hdr h;
  std::memcpy(&h, bytes, virtio_net_hdr_size);
  return h;
}

inline void write_virtio_net_hdr(const virtio_net_hdr& h, std::uint8_t* bytes) noexcept {
  std::memcpy(bytes, &h, virtio_net_hdr_size);
}

} // namespace overlayd::net::packet
