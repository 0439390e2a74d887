// transport_crypto: sealing and opening the payload of transport data
// messages (whitepaper 5.4.6): ChaCha20-Poly1305 (RFC 8439) with the
// message counter as nonce (4 zero bytes, then the counter as a 64-bit
// little-endian number) and no associated data: chacha20_poly1305.hpp where
// the CPU has AVX2, libsodium's AEAD elsewhere. Everything works in place
// on the caller's buffer: no allocation on the data plane.
// Counter limits and the replay window are the device's business.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/wireguard/keys.hpp"
#include "net/wireguard/messages.hpp"

namespace overlayd::net::wg {

// Encrypts `len` bytes at `data` in place and writes the 16-byte tag to
// `tag_out` (which may be data + len).
void seal(const key32& key, std::uint64_t counter, std::uint8_t* data, std::size_t len,
          std::uint8_t* tag_out) noexcept;

// The same with the tag appended: `buf` must have room for len + 16 bytes.
// Returns len + 16.
std::size_t seal_in_place(const key32& key, std::uint64_t counter, std::uint8_t* buf,
                          std::size_t len) noexcept;

// Verifies and decrypts `len` bytes (ciphertext followed by the tag) in
// place. On success sets `plain_len` to len - 16 and returns true; on a bad
// tag returns false without decrypting anything (the buffer may be left
// zeroed: a failed packet is dropped, never looked at). len < 16 is
// refused untouched.
bool open_in_place(const key32& key, std::uint64_t counter, std::uint8_t* buf,
                   std::size_t len, std::size_t& plain_len) noexcept;

// The length a plaintext of `len` bytes is padded to before sealing
// (whitepaper 5.4.6): the next multiple of 16, but never past the MTU
// (mtu 0 means no limit). Mirrors wireguard-go, including its treatment of
// packets longer than the MTU (padded as len % mtu would be). A keepalive
// (len 0) stays empty.
std::size_t padded_length(std::size_t len, std::size_t mtu) noexcept;

} // namespace overlayd::net::wg
