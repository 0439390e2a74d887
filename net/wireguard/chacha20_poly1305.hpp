// chacha20_poly1305: the AEAD of RFC 8439 2.8 without associated data, in
// place, on the batched keystream of chacha20.hpp and the Poly1305 of
// poly1305.hpp (where the CPU has AVX-512 IFMA; libsodium's elsewhere).
// `isa` must be one the CPU runs (not none); transport_crypto picks it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/wireguard/chacha20.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd::net::wg {

inline constexpr std::size_t chacha20_poly1305_nonce_size = 12;

// Encrypts `len` bytes at `data` and writes the 16-byte tag to `tag_out`
// (which may be data + len).
void chacha20_poly1305_seal(chacha20_isa isa, const key32& key, const std::uint8_t* nonce,
                            std::uint8_t* data, std::size_t len, std::uint8_t* tag_out) noexcept;

// Checks `tag` over the `len` ciphertext bytes at `data`, and only if it
// is authentic decrypts them; returns whether it was.
bool chacha20_poly1305_open(chacha20_isa isa, const key32& key, const std::uint8_t* nonce,
                            std::uint8_t* data, std::size_t len, const std::uint8_t* tag) noexcept;

} // namespace overlayd::net::wg
