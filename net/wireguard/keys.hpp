// keys: WireGuard's Curve25519 keys (whitepaper 5.4: DH, DH_GENERATE,
// DH_PUBKEY) and their two text forms: standard padded base64, as in
// configs and the IPC contract, and lowercase hex, as in UAPI
// (nat_transport.md 2.1). Errors never echo the input, which may be a
// private key.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/base/result.hpp"

namespace overlayd::net::wg {

using key32 = std::array<std::uint8_t, 32>;

// Calls sodium_init() once per process; every function here that needs
// libsodium's randomness or fast code paths calls it first. Returns false
// only if libsodium cannot start (no entropy source).
bool ensure_sodium() noexcept;

// 32 random bytes, clamped (RFC 7748 5). X25519 clamps again on use, so a
// clamped and an unclamped copy of a key give the same public key.
key32 generate_private_key() noexcept;
void clamp_private_key(key32& key) noexcept;
key32 public_key_from_private(const key32& private_key) noexcept;

// X25519(private, public) into `out`. False when the result is all zero,
// i.e. `their_public` is a low-order point; the whitepaper's DH() must
// never feed such a value into the handshake.
bool x25519(key32& out, const key32& private_key, const key32& their_public) noexcept;

bool key_is_zero(const key32& key) noexcept;
// Constant-time equality.
bool keys_equal(const key32& a, const key32& b) noexcept;

// 44 characters, standard alphabet, '=' padded.
std::string key_to_base64(const key32& key);
// Errors: "Invalid base64 key: not standard padded base64" and
// "Invalid key length: expected 32 bytes, got N".
result<key32> key_from_base64(std::string_view text);

// 64 lowercase hex characters.
std::string key_to_hex(const key32& key);
// Accepts either case. Errors: "Invalid hex key: expected 64 hex characters, got N",
// "Invalid hex key: not a hex string".
result<key32> key_from_hex(std::string_view text);

} // namespace overlayd::net::wg
