// poly1305: the one-time authenticator of RFC 8439 2.5 over whole 16-byte
// blocks (the AEAD pads its input to them), in radix 2^44 on 8 AVX-512 IFMA
// lanes: each lane takes every 8th block and multiplies by r^8, the last
// group by r^8 .. r^1, and the lanes are summed (Horner's rule split eight
// ways). libsodium 1.0.18's best is a 2-lane SSE2 loop, and it stays the
// Poly1305 of CPUs without IFMA: use this class only where simd_available().
#pragma once

#include <cstddef>
#include <cstdint>

namespace overlayd::net::wg {

class poly1305 {
public:
  // `key`: 32 bytes, r then s.
  explicit poly1305(const std::uint8_t* key) noexcept;
  ~poly1305();
  poly1305(const poly1305&) = delete;
  poly1305& operator=(const poly1305&) = delete;

  // Absorbs `count` 16-byte blocks, each with its 2^128 bit.
  void blocks(const std::uint8_t* data, std::size_t count) noexcept;
  // Writes the 16-byte tag. Nothing may follow.
  void finish(std::uint8_t* tag) noexcept;

  // Whether this CPU has IFMA (AVX-512F and AVX-512 IFMA).
  static bool simd_available() noexcept;
  // Below this many blocks libsodium's SSE2 code is faster: the powers of r
  // the IFMA path needs first cost about as much as a few blocks.
  static constexpr std::size_t simd_min_blocks = 16;

private:
  std::uint64_t r_[3];
  std::uint64_t h_[3] = {0, 0, 0};
  std::uint64_t pad_[2];
  std::uint64_t powers_[3][8]; // r^1 .. r^8 as limbs, made on first use
  bool have_powers_ = false;
};

} // namespace overlayd::net::wg
