// fnv1a: 64-bit FNV-1a, as used by zlayer-paths for the /tmp fallbacks of
// long socket paths (ipc_contract.md 1.2, mechanics.md 1) and by the
// service-subnet registry (mechanics.md 3.3). Those outputs name files and
// pick subnets that must agree with the Rust implementation, so the exact
// algorithm (not just "some hash") matters. Header-only: it is a few lines.
#pragma once

#include <cstdint>
#include <string_view>

namespace overlayd::net {

// Streaming form: feeding bytes in pieces equals feeding them joined, which
// lets callers hash "a, separator byte, b" without building a string.
class fnv1a64_hasher {
public:
  static constexpr std::uint64_t offset_basis = 0xcbf29ce484222325ULL;
  static constexpr std::uint64_t prime = 0x100000001b3ULL;

  void add_byte(std::uint8_t byte) noexcept {
    h_ ^= byte;
    h_ *= prime; // wraps mod 2^64 by definition of unsigned arithmetic
  }

  void add(std::string_view bytes) noexcept {
    for (char c : bytes)
      add_byte(static_cast<std::uint8_t>(c));
  }

  std::uint64_t value() const noexcept { return h_; }

private:
  std::uint64_t h_ = offset_basis;
};

// FNV-1a 64 over a's bytes then b's bytes (no separator), e.g.
// fnv1a64(data_dir, "overlayd") for the overlayd socket fallback.
inline std::uint64_t fnv1a64(std::string_view a, std::string_view b = {}) noexcept {
  fnv1a64_hasher h;
  h.add(a);
  h.add(b);
  return h.value();
}

} // namespace overlayd::net
