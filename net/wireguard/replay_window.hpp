// replay_window: the receive-counter filter of a WireGuard session, the
// sliding window of RFC 6479 as the Linux kernel (messages.h, receive.c
// counter_validate) and wireguard-go (replay/replay.go) implement it: a ring
// of 128 64-bit blocks (8192 bits) of which one block is kept as slack, so
// counters up to 8128 behind the highest one seen are still accepted once.
// (Older kernels and wireguard-go used 2048 bits; both use 8192 now. The
// wider window tolerates the deeper reordering of parallel decryption.)
// Counters at or above reject_after_messages (2^64 - 2^13 - 1) never pass:
// the session must be rekeyed long before.
//
// The data plane checks every packet: no allocation, no locks (the caller
// serializes access per keypair).
#pragma once

#include <array>
#include <cstdint>

namespace overlayd::net::wg {

class replay_window {
public:
  static constexpr unsigned block_bits = 64;
  static constexpr unsigned ring_blocks = 128;
  static constexpr std::uint64_t ring_bits = std::uint64_t{block_bits} * ring_blocks; // 8192
  // One block is always being recycled, so the usable window is one block short.
  static constexpr std::uint64_t window_size = ring_bits - block_bits; // 8128
  static constexpr std::uint64_t reject_after_messages = ~std::uint64_t{0} - (std::uint64_t{1} << 13);

  // True when `counter` has not been seen and is neither too old nor past
  // the limit. Does not change the window: the device asks this before it
  // spends time decrypting.
  bool would_accept(std::uint64_t counter) const noexcept;

  // Check and mark: true exactly once per acceptable counter. Call it only
  // after the packet authenticated, so a forged counter cannot move the
  // window forward and make genuine packets look old.
  bool accept(std::uint64_t counter) noexcept;

  // Forget everything (a new keypair starts from counter 0).
  void reset() noexcept;

  // Highest counter accepted so far (0 when none).
  std::uint64_t highest() const noexcept { return last_; }

private:
  std::uint64_t last_ = 0;
  std::array<std::uint64_t, ring_blocks> ring_{};
};

} // namespace overlayd::net::wg
