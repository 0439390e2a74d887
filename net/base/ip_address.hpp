// ip_address: an IPv4 or IPv6 address, parsed and printed the way Rust's
// std::net::IpAddr does (the wire contract carries addresses as Rust
// Display strings).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace overlayd::net {

class ip_address {
public:
  enum class family : std::uint8_t { v4, v6 };

  ip_address() = default; // 0.0.0.0

  static ip_address v4(std::uint32_t host_order);
  static ip_address v6(const std::array<std::uint8_t, 16>& bytes);

  // Strict parse: a bare address, no prefix, brackets, port, zone or spaces;
  // IPv4 octets with leading zeros are rejected, as Rust does.
  static std::optional<ip_address> parse(std::string_view text);

  family fam() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == family::v4; }
  bool is_v6() const noexcept { return family_ == family::v6; }
  unsigned max_prefix() const noexcept { return is_v4() ? 32 : 128; }

  // Raw bytes in network order: 4 used for IPv4, 16 for IPv6.
  const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  std::uint32_t v4_value() const noexcept; // host order, IPv4 only

  bool is_unspecified() const noexcept;

  // Address + offset with wrap-around inside the family (u32 / u128).
  ip_address plus(std::uint64_t offset) const noexcept;
  ip_address minus(std::uint64_t offset) const noexcept;

  std::string to_string() const;

  friend bool operator==(const ip_address& a, const ip_address& b) noexcept {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const ip_address& a, const ip_address& b) noexcept {
    return !(a == b);
  }
  friend bool operator<(const ip_address& a, const ip_address& b) noexcept {
    if (a.family_ != b.family_)
      return a.family_ < b.family_;
    return a.bytes_ < b.bytes_;
  }

private:
  family family_ = family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

} // namespace overlayd::net

template <>
struct std::hash<overlayd::net::ip_address> {
  std::size_t operator()(const overlayd::net::ip_address& a) const noexcept {
    std::size_t h = static_cast<std::size_t>(a.fam());
    for (auto b : a.bytes())
      h = h * 131 + b;
    return h;
  }
};
