// tagged_address: how the relay protocol writes a socket address
// (nat_transport.md 5.1): a family byte, the address bytes, then the port,
// big-endian: 0x01 ‖ IPv4(4) ‖ port(2) or 0x02 ‖ IPv6(16) ‖ port(2). The
// original also has an untagged 6-byte IPv4 form that never reaches the
// wire, so it is not reproduced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"

namespace overlayd::net::relay {

inline constexpr std::uint8_t address_family_v4 = 0x01;
inline constexpr std::uint8_t address_family_v6 = 0x02;
inline constexpr std::size_t tagged_v4_size = 7;
inline constexpr std::size_t tagged_v6_size = 19;

// 7 or 19.
std::size_t tagged_address_size(const endpoint& addr) noexcept;

void append_tagged_address(std::vector<std::uint8_t>& out, const endpoint& addr);

struct decoded_address {
  endpoint addr;
  std::size_t size = 0; // bytes consumed: 7 or 19
};

// Reads one tagged address from the start of p[0, len); bytes after it are
// left to the caller. Errors: "truncated address: need N bytes, got M",
// "unknown address family 0xNN".
result<decoded_address> decode_tagged_address(const std::uint8_t* p, std::size_t len);

} // namespace overlayd::net::relay
