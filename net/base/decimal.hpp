// parse_decimal: an unsigned decimal number, as Go's strconv.ParseUint(text,
// 10, n) reads it: digits only (no sign, no spaces), leading zeros allowed,
// at most `max`. Callers that accept more (Rust's u32::from_str takes a
// leading '+') strip it first.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace overlayd {

inline std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty())
    return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

} // namespace overlayd
