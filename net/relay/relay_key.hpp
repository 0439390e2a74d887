// relay_key: authentication of the relay protocol's control messages
// (nat_transport.md 5.1, DECISIONS.md 21). Every node and the relay server
// derive the same 32-byte key from the cluster credential, and each control
// frame carries a keyed BLAKE2b-256 tag over its header and payload. The key
// is a secret: nothing here prints it, and no error text ever contains it or
// the credential.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace overlayd::net::relay {

inline constexpr std::size_t auth_key_size = 32;
inline constexpr std::size_t tag_size = 32;

using tag32 = std::array<std::uint8_t, tag_size>;

// The 32-byte MAC key. Wiped on destruction so copies do not linger in
// freed memory longer than needed.
struct auth_key {
  std::array<std::uint8_t, auth_key_size> bytes{};

  auth_key() = default;
  auth_key(const auth_key&) = default;
  auth_key& operator=(const auth_key&) = default;
  ~auth_key();
};

// Unkeyed BLAKE2b with a 32-byte digest (RFC 7693 parameter block with
// outlen = 32, not a truncated BLAKE2b-512) over the credential's bytes, as
// the original's derive_auth_key does. An empty credential is allowed: the
// original derives a key from "" when none is configured.
auth_key derive_auth_key(std::string_view credential) noexcept;

// Keyed BLAKE2b-256 of msg[0, len): the tag a control frame carries after
// its header and payload.
tag32 compute_tag(const auth_key& key, const std::uint8_t* msg, std::size_t len) noexcept;

// Constant-time comparison of `tag` (tag_size bytes) with the tag of
// msg[0, len), so a forger learns nothing from timing.
bool verify_tag(const auth_key& key, const std::uint8_t* msg, std::size_t len,
                const std::uint8_t* tag) noexcept;

} // namespace overlayd::net::relay
