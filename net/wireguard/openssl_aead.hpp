// openssl_aead: ChaCha20-Poly1305 (RFC 8439) without associated data, in
// place, from OpenSSL 3's libcrypto: its assembly for every CPU we may
// meet (AVX-512, AVX2, SSSE3, ARM NEON), kept by people whose job it is.
//
// Each thread keeps one cipher context per direction and reuses it for
// every packet: the context is allocated and the cipher fetched once per
// thread, and a packet only sets key and nonce (ChaCha20 has no key
// schedule: setting a key is a copy). Contexts per thread rather than per
// session key mean no lock between the threads that seal for one peer
// (data plane and control thread) and nothing to free with a session.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/wireguard/keys.hpp"

namespace overlayd::net::wg {

// Encrypts `len` bytes at `data` and writes the 16-byte tag to `tag_out`
// (which may be data + len). `nonce` is 12 bytes.
void openssl_seal(const key32& key, const std::uint8_t* nonce, std::uint8_t* data,
                  std::size_t len, std::uint8_t* tag_out) noexcept;

// Checks `tag` over the `len` ciphertext bytes at `data` and decrypts
// them in place; false for a forgery, whose bytes are then overwritten
// with zeros (a failed packet is dropped, never looked at).
bool openssl_open(const key32& key, const std::uint8_t* nonce, std::uint8_t* data,
                  std::size_t len, const std::uint8_t* tag) noexcept;

} // namespace overlayd::net::wg
