// checksum: the Internet checksum of RFC 1071 (the ones' complement of the
// ones' complement sum of 16-bit big-endian words), as IPv4 headers, TCP and
// UDP use it, and the pseudo-header sums of RFC 793 / RFC 768 (IPv4) and
// RFC 8200 section 8.1 (IPv6) that TCP and UDP add in.
//
// Partial sums are plain values so they chain: the sum of a packet is the sum
// of its pieces, whatever order they are added in, as long as every piece but
// the last has an even length (an odd piece would shift the bytes after it
// into the other half of their words). A partial sum is always folded to at
// most 0xffff and is NOT complemented; complement once, at the end, with
// checksum_fold. That is also the form the kernel expects in the checksum
// field of a packet handed over with VIRTIO_NET_HDR_F_NEEDS_CSUM.
//
// Every packet of the data plane goes through here more than once, so the
// sum reads 8 bytes at a time into 64-bit accumulators and folds only at the
// end (RFC 1071 section 2: the sum is independent of byte order and of the
// word width used to compute it).
#pragma once

#include <cstddef>
#include <cstdint>

namespace overlayd::net::packet {

// The ones' complement sum of `len` bytes at `data` (`data` may be null when
// `len` is 0) plus `initial` (any earlier partial sum, or any value up to
// 0xffffffff), folded to 16 bits, not complemented.
std::uint32_t checksum_partial(const std::uint8_t* data, std::size_t len,
                               std::uint32_t initial = 0) noexcept;

// Copies `len` bytes from `src` to `dst` (not overlapping) and returns what
// checksum_partial(src, len, initial) would: the data plane copies payloads
// it has to checksum anyway, and one pass is about twice as fast as two.
std::uint32_t checksum_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t len,
                            std::uint32_t initial = 0) noexcept;

// Folds any sum to 16 bits and complements it: the value to store in a
// checksum field. A buffer whose stored checksum is right sums (with its
// pseudo-header, if any) to 0xffff, so checksum_fold of it is 0.
std::uint16_t checksum_fold(std::uint32_t sum) noexcept;

// The pseudo-header's share of a TCP or UDP checksum: source and destination
// address (`addr_len` 4 or 16 bytes each, network order), the protocol number
// and the length of the transport header plus payload. The IPv4 and IPv6
// pseudo-headers sum to the same value for the same fields (the IPv6 one only
// widens length and protocol to 32 bits), so one function serves both.
// Folded, not complemented.
std::uint32_t pseudo_header_sum(const std::uint8_t* src, const std::uint8_t* dst,
                                std::size_t addr_len, std::uint8_t protocol,
                                std::uint32_t l4_length) noexcept;

// The header checksum for the IPv4 header at `ip_header` (its IHL words;
// the checksum field itself counts as zero): the value to store at offset
// 10, in host order. The caller guarantees that IHL * 4 bytes are readable;
// an IHL below 5 is not a header and yields 0.
std::uint16_t ipv4_header_checksum(const std::uint8_t* ip_header) noexcept;

} // namespace overlayd::net::packet
