#include "net/wireguard/prefix_index.hpp"

#include <algorithm>
#include <functional>

namespace overlayd::net::wg {

namespace {

constexpr std::uint64_t ones = ~std::uint64_t{0};

std::size_t hash_of(std::uint64_t hi, std::uint64_t lo) noexcept {
  // splitmix64's finaliser over both halves: every input bit moves the slot.
  std::uint64_t x = hi ^ (lo * 0x9E3779B97F4A7C15ull);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return static_cast<std::size_t>(x ^ (x >> 31));
}

// The address's first `bits` bits, the rest zero.
void mask(std::uint64_t& hi, std::uint64_t& lo, unsigned bits) noexcept {
  if (bits <= 64) {
    hi = bits == 0 ? 0 : hi & (ones << (64 - bits));
    lo = 0;
  } else if (bits < 128) {
    lo &= ones << (128 - bits);
  }
}

} // namespace

void prefix_index::put(table& t, std::uint64_t hi, std::uint64_t lo, std::uint32_t node) {
  if ((t.used + 1) * 2 > t.slots.size()) {
    std::vector<slot> old;
    old.swap(t.slots);
    t.slots.assign(std::max<std::size_t>(16, old.size() * 2), slot{});
    t.used = 0;
    for (const slot& s : old)
      if (s.node != none)
        put(t, s.hi, s.lo, s.node);
  }
  const std::size_t m = t.slots.size() - 1;
  for (std::size_t i = hash_of(hi, lo) & m;; i = (i + 1) & m) {
    slot& s = t.slots[i];
    if (s.node == none) {
      s = slot{hi, lo, node};
      ++t.used;
      return;
    }
    if (s.hi == hi && s.lo == lo) {
      s.node = node;
      return;
    }
  }
}

std::uint32_t prefix_index::get(const table& t, std::uint64_t hi, std::uint64_t lo) noexcept {
  if (t.used == 0)
    return none;
  const std::size_t m = t.slots.size() - 1;
  for (std::size_t i = hash_of(hi, lo) & m;; i = (i + 1) & m) {
    const slot& s = t.slots[i];
    if (s.node == none)
      return none;
    if (s.hi == hi && s.lo == lo)
      return s.node;
  }
}

void prefix_index::add(bool v4, std::uint64_t hi, std::uint64_t lo, unsigned bits,
                       std::uint32_t node) {
  family_tables& f = family(v4);
  table& t = f.by_length[bits];
  if (t.used == 0) {
    f.lengths.push_back(bits);
    std::sort(f.lengths.begin(), f.lengths.end(), std::greater<>());
  }
  put(t, hi, lo, node);
}

void prefix_index::remove(bool v4, std::uint64_t hi, std::uint64_t lo, unsigned bits) {
  family_tables& f = family(v4);
  table& t = f.by_length[bits];
  if (t.used == 0)
    return;
  const std::size_t m = t.slots.size() - 1;
  std::size_t i = hash_of(hi, lo) & m;
  for (;; i = (i + 1) & m) {
    if (t.slots[i].node == none)
      return; // not stored
    if (t.slots[i].hi == hi && t.slots[i].lo == lo)
      break;
  }
  // Backward shift: later slots of the run move up when their home is at
  // or before the hole, so no lookup ever stops at a false end.
  for (std::size_t j = (i + 1) & m; t.slots[j].node != none; j = (j + 1) & m) {
    const std::size_t home = hash_of(t.slots[j].hi, t.slots[j].lo) & m;
    if (((j - home) & m) >= ((j - i) & m)) {
      t.slots[i] = t.slots[j];
      i = j;
    }
  }
  t.slots[i] = slot{};
  if (--t.used == 0)
    f.lengths.erase(std::find(f.lengths.begin(), f.lengths.end(), bits));
}

void prefix_index::clear() {
  v4_ = family_tables{};
  v6_ = family_tables{};
}

std::uint32_t prefix_index::longest(bool v4, std::uint64_t hi, std::uint64_t lo) const noexcept {
  const family_tables& f = family(v4);
  for (unsigned bits : f.lengths) {
    std::uint64_t h = hi;
    std::uint64_t l = lo;
    mask(h, l, bits);
    if (std::uint32_t node = get(f.by_length[bits], h, l); node != none)
      return node;
  }
  return none;
}

} // namespace overlayd::net::wg
