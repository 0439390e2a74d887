// shared_endpoint: a peer's current UDP endpoint, read by the data-plane
// threads for every packet and changed rarely (configuration, roaming). A
// sequence lock: readers take no lock and retry in the rare case of a
// concurrent change; writers are serialized by the caller.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "net/base/endpoint.hpp"

namespace overlayd::net::wg {

class shared_endpoint {
public:
  // False when no endpoint is known.
  bool load(endpoint& out) const noexcept {
    std::array<std::uint64_t, words> copy;
    std::uint32_t before = 0;
    do {
      before = sequence_.load(std::memory_order_acquire);
      for (std::size_t i = 0; i < words; ++i)
        copy[i] = data_[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
    } while ((before & 1) != 0 || before != sequence_.load(std::memory_order_relaxed));
    raw r;
    std::memcpy(static_cast<void*>(&r), copy.data(), sizeof r);
    if (!r.known)
      return false;
    out = r.value;
    return true;
  }

  // One writer at a time (the caller holds the peer's write lock).
  void store(const endpoint& e) noexcept { write(raw{e, true}); }
  void clear() noexcept { write(raw{}); }

private:
  struct raw {
    endpoint value;
    bool known = false;
  };
  static_assert(std::is_trivially_copyable_v<raw>, "copied as raw words");
  static constexpr std::size_t words = (sizeof(raw) + 7) / 8;

  void write(const raw& r) noexcept {
    std::array<std::uint64_t, words> copy{};
    std::memcpy(copy.data(), &r, sizeof r);
    sequence_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < words; ++i)
      data_[i].store(copy[i], std::memory_order_relaxed);
    sequence_.fetch_add(1, std::memory_order_release);
  }

  std::atomic<std::uint32_t> sequence_{0};
  std::array<std::atomic<std::uint64_t>, words> data_{};
};

} // namespace overlayd::net::wg
