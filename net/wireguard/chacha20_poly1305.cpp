#include "net/wireguard/chacha20_poly1305.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "net/wireguard/messages.hpp"
#include "net/wireguard/poly1305.hpp"

namespace overlayd::net::wg {

namespace {

constexpr std::size_t block_size = 64;
constexpr std::size_t max_batch_bytes = 16 * block_size;
constexpr std::size_t tag_size = 16;

void xor_bytes(std::uint8_t* data, const std::uint8_t* keystream, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t a, b;
    std::memcpy(&a, data + i, 8);
    std::memcpy(&b, keystream + i, 8);
    a ^= b;
    std::memcpy(data + i, &a, 8);
  }
  for (; i < n; ++i)
    data[i] ^= keystream[i];
}

// The kernel for a message of `len` bytes: one that fits a narrower batch
// (small packets, TCP ACKs) takes it instead of computing keystream it
// throws away.
chacha20_isa kernel_for(chacha20_isa isa, std::size_t len) noexcept {
  const std::size_t avx2_batch = block_size * chacha20_batch_blocks(chacha20_isa::avx2);
  return isa == chacha20_isa::avx512 && block_size + len <= avx2_batch ? chacha20_isa::avx2 : isa;
}

// One message's keystream. Block 0 is the Poly1305 key and blocks 1..
// encrypt; the first batch holds both the key and the first bytes' keystream.
class message_keystream {
public:
  message_keystream(chacha20_isa isa, const key32& key, const std::uint8_t* nonce,
                    std::size_t len) noexcept
      : isa_(kernel_for(isa, len)), key_(key), nonce_(nonce) {
    chacha20_keystream(isa_, chacha20_input{key_.data(), nonce_, 0}, first_);
  }
  // Block 0 is the one-time key; the rest is keystream already spent.
  ~message_keystream() { sodium_memzero(first_, block_size); }
  message_keystream(const message_keystream&) = delete;
  message_keystream& operator=(const message_keystream&) = delete;

  // Poly1305 over the ciphertext, its padding to 16 bytes and the lengths:
  // poly1305.hpp where the CPU has IFMA and the message is long enough for
  // it, else libsodium's SSE2 code.
  void tag(const std::uint8_t* cipher, std::size_t len, std::uint8_t* out) const noexcept {
    std::uint8_t lengths[16];
    store_le64(lengths, 0); // no associated data
    store_le64(lengths + 8, len);
    const std::size_t partial = len % 16;
    if (poly1305::simd_available() && len / 16 >= poly1305::simd_min_blocks) {
      poly1305 mac(first_);
      mac.blocks(cipher, len / 16);
      // The last partial block, zero-padded, and the lengths: one call.
      std::uint8_t tail[32] = {};
      std::memcpy(tail, cipher + (len - partial), partial);
      std::memcpy(tail + (partial != 0 ? 16 : 0), lengths, sizeof lengths);
      mac.blocks(tail, partial != 0 ? 2 : 1);
      mac.finish(out);
      return;
    }
    static const std::uint8_t zeros[16] = {};
    crypto_onetimeauth_poly1305_state state;
    crypto_onetimeauth_poly1305_init(&state, first_);
    crypto_onetimeauth_poly1305_update(&state, cipher, len);
    if (partial != 0)
      crypto_onetimeauth_poly1305_update(&state, zeros, 16 - partial);
    crypto_onetimeauth_poly1305_update(&state, lengths, sizeof lengths);
    crypto_onetimeauth_poly1305_final(&state, out);
  }

  // Encrypts or decrypts in place.
  void apply(std::uint8_t* data, std::size_t len) const noexcept {
    const auto batch_blocks = static_cast<std::uint32_t>(chacha20_batch_blocks(isa_));
    const std::size_t batch_bytes = block_size * batch_blocks;
    std::size_t done = std::min(len, batch_bytes - block_size);
    xor_bytes(data, first_ + block_size, done);
    alignas(64) std::uint8_t batch[max_batch_bytes];
    for (std::uint32_t counter = batch_blocks; done < len; counter += batch_blocks) {
      chacha20_keystream(isa_, chacha20_input{key_.data(), nonce_, counter}, batch);
      const std::size_t n = std::min(batch_bytes, len - done);
      xor_bytes(data + done, batch, n);
      done += n;
    }
  }

private:
  chacha20_isa isa_;
  const key32& key_;
  const std::uint8_t* nonce_;
  alignas(64) std::uint8_t first_[max_batch_bytes];
};

} // namespace

void chacha20_poly1305_seal(chacha20_isa isa, const key32& key, const std::uint8_t* nonce,
                            std::uint8_t* data, std::size_t len, std::uint8_t* tag_out) noexcept {
  message_keystream stream(isa, key, nonce, len);
  stream.apply(data, len);
  stream.tag(data, len, tag_out);
}

bool chacha20_poly1305_open(chacha20_isa isa, const key32& key, const std::uint8_t* nonce,
                            std::uint8_t* data, std::size_t len, const std::uint8_t* tag) noexcept {
  message_keystream stream(isa, key, nonce, len);
  std::uint8_t expected[tag_size];
  stream.tag(data, len, expected);
  if (crypto_verify_16(expected, tag) != 0)
    return false;
  stream.apply(data, len);
  return true;
}

} // namespace overlayd::net::wg
