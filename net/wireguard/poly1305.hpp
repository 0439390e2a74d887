// poly1305: the one-time authenticator of RFC 8439 2.5 over whole 16-byte
// blocks (the AEAD pads its input to them), in radix 2^44 as
// poly1305-donna-64, with an 8-lane AVX-512 IFMA path for long inputs:
// each lane takes every 8th block and multiplies by r^8, the last group by
// r^8 .. r^1, and the lanes are summed (Horner's rule split eight ways).
// libsodium 1.0.18's best is a 2-lane SSE2 loop.
#pragma once

#include <cstddef>
#include <cstdint>

namespace overlayd::net::wg {

class poly1305 {
public:
  // `key`: 32 bytes, r then s. `use_simd`: false keeps to the scalar code
  // (tests compare the two); the SIMD path also needs a CPU with IFMA.
  explicit poly1305(const std::uint8_t* key, bool use_simd = true) noexcept;
  ~poly1305();
  poly1305(const poly1305&) = delete;
  poly1305& operator=(const poly1305&) = delete;

  // Absorbs `count` 16-byte blocks, each with its 2^128 bit.
  void blocks(const std::uint8_t* data, std::size_t count) noexcept;
  // Writes the 16-byte tag. Nothing may follow.
  void finish(std::uint8_t* tag) noexcept;

  // Whether this CPU runs the IFMA path.
  static bool simd_available() noexcept;
  // Below this many blocks libsodium's SSE2 code is faster: the powers of r
  // the IFMA path needs first cost about as much as a few blocks.
  static constexpr std::size_t simd_min_blocks = 16;

private:
  std::uint64_t r_[3];
  std::uint64_t h_[3] = {0, 0, 0};
  std::uint64_t pad_[2];
  std::uint64_t powers_[3][8]; // r^1 .. r^8 as limbs, for the IFMA path
  bool have_powers_ = false;
  bool simd_;
};

} // namespace overlayd::net::wg
