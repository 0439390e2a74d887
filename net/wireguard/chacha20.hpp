// chacha20: the ChaCha20 keystream of RFC 8439 (32-bit block counter,
// 96-bit nonce), many blocks at once with AVX-512 (16 blocks) or AVX2 (8),
// for the transport data path. libsodium 1.0.18 runs an 8-block AVX2 loop
// only while 512 bytes remain and finishes a 1420-byte packet 4 and then 1
// block at a time; whole-width batches make the keystream about twice as fast.
//
// No portable fallback here: without AVX2 the transport uses OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>

namespace overlayd::net::wg {

enum class chacha20_isa : std::uint8_t { none, avx2, avx512 };

// The widest of the kernels below this CPU runs.
chacha20_isa best_chacha20_isa() noexcept;

// Keystream blocks `counter`, `counter` + 1, ... of (key, nonce), 64 bytes
// each: writes 64 * max_blocks(isa) bytes to `out`. `isa` must not be
// none and must be supported by the CPU.
struct chacha20_input {
  const std::uint8_t* key;   // 32 bytes
  const std::uint8_t* nonce; // 12 bytes
  std::uint32_t counter;
};
void chacha20_keystream(chacha20_isa isa, const chacha20_input& in, std::uint8_t* out) noexcept;

// Blocks one chacha20_keystream call produces.
constexpr std::size_t chacha20_batch_blocks(chacha20_isa isa) noexcept {
  return isa == chacha20_isa::avx512 ? 16 : isa == chacha20_isa::avx2 ? 8 : 0;
}

} // namespace overlayd::net::wg
