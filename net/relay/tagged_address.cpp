#include "net/relay/tagged_address.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace overlayd::net::relay {

std::size_t tagged_address_size(const endpoint& addr) noexcept {
  return addr.address.is_v4() ? tagged_v4_size : tagged_v6_size;
}

void append_tagged_address(std::vector<std::uint8_t>& out, const endpoint& addr) {
  const auto& bytes = addr.address.bytes();
  if (addr.address.is_v4()) {
    out.push_back(address_family_v4);
    out.insert(out.end(), bytes.begin(), bytes.begin() + 4);
  } else {
    out.push_back(address_family_v6);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  out.push_back(static_cast<std::uint8_t>(addr.port >> 8));
  out.push_back(static_cast<std::uint8_t>(addr.port & 0xff));
}

result<decoded_address> decode_tagged_address(const std::uint8_t* p, std::size_t len) {
  // The family byte decides the size, so it has to be read first.
  if (len < 1)
    return make_error("truncated address: need 1 bytes, got 0");
  std::size_t need = 0;
  if (p[0] == address_family_v4) {
    need = tagged_v4_size;
  } else if (p[0] == address_family_v6) {
    need = tagged_v6_size;
  } else {
    char text[48];
    std::snprintf(text, sizeof text, "unknown address family 0x%02x", p[0]);
    return make_error(text);
  }
  if (len < need)
    return make_error("truncated address: need " + std::to_string(need) + " bytes, got " +
                      std::to_string(len));

  decoded_address out;
  out.size = need;
  if (need == tagged_v4_size) {
    std::uint32_t v = (std::uint32_t{p[1]} << 24) | (std::uint32_t{p[2]} << 16) |
                      (std::uint32_t{p[3]} << 8) | std::uint32_t{p[4]};
    out.addr.address = ip_address::v4(v);
  } else {
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < 16; ++i)
      b[i] = p[1 + i];
    out.addr.address = ip_address::v6(b);
  }
  out.addr.port = static_cast<std::uint16_t>((p[need - 2] << 8) | p[need - 1]);
  return out;
}

} // namespace overlayd::net::relay
