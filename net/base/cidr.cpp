#include "net/base/cidr.hpp"

namespace overlayd::net {

namespace {

// Mask the bytes of `ip` beyond `prefix`; set them when `ones`.
ip_address apply_host_bits(const ip_address& ip, unsigned prefix, bool ones) {
  auto bytes = ip.bytes();
  unsigned total = ip.max_prefix();
  for (unsigned bit = prefix; bit < total; ++bit) {
    auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (ones)
      bytes[bit / 8] |= mask;
    else
      bytes[bit / 8] &= static_cast<std::uint8_t>(~mask);
  }
  if (ip.is_v4())
    return ip_address::v4((std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16)
                          | (std::uint32_t{bytes[2]} << 8) | bytes[3]);
  return ip_address::v6(bytes);
}

} // namespace

result<cidr> cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr_text = text.substr(0, slash);
  auto addr = ip_address::parse(addr_text);
  if (!addr)
    return make_error("invalid address: " + std::string(addr_text));
  unsigned prefix = addr->max_prefix();
  if (slash != std::string_view::npos) {
    auto prefix_text = text.substr(slash + 1);
    if (prefix_text.empty() || prefix_text.size() > 3)
      return make_error("invalid prefix: " + std::string(prefix_text));
    unsigned value = 0;
    for (char c : prefix_text) {
      if (c < '0' || c > '9')
        return make_error("invalid prefix: " + std::string(prefix_text));
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > addr->max_prefix())
      return make_error("invalid prefix length " + std::to_string(value) + " (max "
                        + std::to_string(addr->max_prefix()) + ")");
    prefix = value;
  }
  return cidr{*addr, prefix};
}

ip_address cidr::network() const noexcept {
  return apply_host_bits(address_, prefix_, false);
}

ip_address cidr::broadcast() const noexcept {
  return apply_host_bits(address_, prefix_, true);
}

bool cidr::contains(const ip_address& ip) const noexcept {
  if (ip.fam() != address_.fam())
    return false;
  return apply_host_bits(ip, prefix_, false) == network();
}

std::string cidr::to_string() const {
  return network().to_string() + "/" + std::to_string(prefix_);
}

std::string cidr::to_address_string() const {
  return address_.to_string() + "/" + std::to_string(prefix_);
}

} // namespace overlayd::net
