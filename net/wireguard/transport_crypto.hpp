// transport_crypto: sealing and opening the payload of transport data
// messages (whitepaper 5.4.6): ChaCha20-Poly1305 (RFC 8439) with the
// message counter as nonce (4 zero bytes, then the counter as a 64-bit
// little-endian number) and no associated data, from OpenSSL's libcrypto
// (openssl_aead.hpp) or overlayd's own AVX-512/AVX2 kernels
// (chacha20_poly1305.hpp; see default_aead for which and why).
// OVERLAYD_AEAD=openssl or =overlayd in the environment picks one, for
// benchmarks. Everything works in place on the caller's buffer: no
// allocation on the data plane.
// Counter limits and the replay window are the device's business.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/wireguard/keys.hpp"
#include "net/wireguard/messages.hpp"

namespace overlayd::net::wg {

// OpenSSL on every CPU; overlayd's own kernels only where they run and
// are faster. Measured in one run (overlayd-aead-bench, AVX-512 IFMA VM,
// one core): at 1420 bytes OpenSSL seals 1.17 GB/s and opens 0.95, the
// own kernels 1.71 and 1.50; at 64 bytes 0.10 against 0.16. OpenSSL's
// ChaCha20 and Poly1305 are as fast as ours (faster from 8 KiB: 2.9 against
// 2.1), but each packet pays its EVP layer: an IV set, an update, a final
// and a tag read, each a provider dispatch, about 0.4 us a packet, a third
// of a 1420-byte packet's time. The tunnel's packets are that small, so
// the own kernels stay on x86 with AVX2 or AVX-512 until a batched library
// call exists; libsodium's slower AEAD (0.59 GB/s) is no longer used.
enum class aead_backend { openssl, overlayd };
inline constexpr aead_backend default_aead = aead_backend::overlayd;

// What seals and opens in this process ("OpenSSL", "overlayd AVX-512", ...).
const char* transport_aead_name() noexcept;

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
