// siphash13: SipHash-1-3, the hash behind Rust's
// std::collections::hash_map::DefaultHasher::new() (keys 0, 0).
// Interface names are derived from it (mechanics.md 4.1, ipc_contract.md 11),
// so it must match Rust bit for bit; that is why we keep our own copy instead
// of using std::hash, whose output is unspecified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace overlayd::net {

// Hashes `len` bytes at `data` as one message. Rust's streaming writes
// concatenate, so a sequence of writes equals one call over the joined bytes.
std::uint64_t siphash13(const std::uint8_t* data, std::size_t len, std::uint64_t k0 = 0,
                        std::uint64_t k1 = 0);

// The raw bytes of `s` only: no 0xFF terminator (that is Rust's `str` hashing,
// which callers add themselves when they need it).
std::uint64_t siphash13(std::string_view s, std::uint64_t k0 = 0, std::uint64_t k1 = 0);

} // namespace overlayd::net
