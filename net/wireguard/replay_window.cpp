#include "net/wireguard/replay_window.hpp"

namespace overlayd::net::wg {

namespace {

constexpr unsigned block_shift = 6; // log2(block_bits)
static_assert((1u << block_shift) == replay_window::block_bits);
static_assert((replay_window::ring_blocks & (replay_window::ring_blocks - 1)) == 0,
              "ring index wraps with a mask");

constexpr std::uint64_t block_of(std::uint64_t counter) noexcept {
  return counter >> block_shift;
}
constexpr std::size_t ring_index(std::uint64_t block) noexcept {
  return static_cast<std::size_t>(block & (replay_window::ring_blocks - 1));
}
constexpr std::uint64_t bit_of(std::uint64_t counter) noexcept {
  return std::uint64_t{1} << (counter & (replay_window::block_bits - 1));
}

} // namespace

bool replay_window::would_accept(std::uint64_t counter) const noexcept {
  if (counter >= reject_after_messages)
    return false;
  // Ahead of the window: the blocks it will move over are cleared when it
  // moves, and the bits above last_ in last_'s own block were cleared when
  // last_ entered it, so nothing there can be marked.
  if (counter > last_)
    return true;
  if (last_ - counter > window_size)
    return false;
  return (ring_[ring_index(block_of(counter))] & bit_of(counter)) == 0;
}

bool replay_window::accept(std::uint64_t counter) noexcept {
  if (counter >= reject_after_messages)
    return false;
  if (counter > last_) {
    // Slide forward, clearing the blocks that now stand for new counters.
    // A jump of a whole ring or more clears every block once.
    std::uint64_t current = block_of(last_);
    std::uint64_t steps = block_of(counter) - current;
    if (steps > ring_blocks)
      steps = ring_blocks;
    for (std::uint64_t i = 1; i <= steps; ++i)
      ring_[ring_index(current + i)] = 0;
    last_ = counter;
  } else if (last_ - counter > window_size) {
    return false;
  }
  std::uint64_t& block = ring_[ring_index(block_of(counter))];
  std::uint64_t bit = bit_of(counter);
  if (block & bit)
    return false;
  block |= bit;
  return true;
}

void replay_window::reset() noexcept {
  last_ = 0;
  ring_.fill(0);
}

} // namespace overlayd::net::wg
