#include "net/wireguard/transport_crypto.hpp"

#include <sodium.h>

#include "net/wireguard/chacha20_poly1305.hpp"

namespace overlayd::net::wg {

namespace {

inline void make_nonce(std::uint8_t (&nonce)[crypto_aead_chacha20poly1305_ietf_NPUBBYTES],
                       std::uint64_t counter) noexcept {
  nonce[0] = nonce[1] = nonce[2] = nonce[3] = 0;
  store_le64(nonce + 4, counter);
}

constexpr std::size_t padding_multiple = 16;

} // namespace

void seal(const key32& key, std::uint64_t counter, std::uint8_t* data, std::size_t len,
          std::uint8_t* tag_out) noexcept {
  ensure_sodium(); // picks libsodium's SIMD code paths
  std::uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  make_nonce(nonce, counter);
  if (const chacha20_isa isa = best_chacha20_isa(); isa != chacha20_isa::none) {
    chacha20_poly1305_seal(isa, key, nonce, data, len, tag_out);
    return;
  }
  unsigned long long tag_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, tag_out, &tag_len, data, len,
                                                     nullptr, 0, nullptr, nonce, key.data());
}

std::size_t seal_in_place(const key32& key, std::uint64_t counter, std::uint8_t* buf,
                          std::size_t len) noexcept {
  seal(key, counter, buf, len, buf + len);
  return len + aead_tag_size;
}

bool open_in_place(const key32& key, std::uint64_t counter, std::uint8_t* buf,
                   std::size_t len, std::size_t& plain_len) noexcept {
  if (len < aead_tag_size)
    return false;
  ensure_sodium();
  const std::size_t clen = len - aead_tag_size;
  std::uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  make_nonce(nonce, counter);
  // Both check the tag before they decrypt: a forgery is never decrypted.
  const chacha20_isa isa = best_chacha20_isa();
  const bool authentic =
    isa != chacha20_isa::none
      ? chacha20_poly1305_open(isa, key, nonce, buf, clen, buf + clen)
      : crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf, nullptr, buf, clen, buf + clen,
                                                           nullptr, 0, nonce, key.data())
          == 0;
  if (!authentic)
    return false;
  plain_len = clen;
  return true;
}

std::size_t padded_length(std::size_t len, std::size_t mtu) noexcept {
  std::size_t last_unit = len;
  if (mtu != 0 && last_unit > mtu)
    last_unit %= mtu;
  std::size_t padded = (last_unit + padding_multiple - 1) & ~(padding_multiple - 1);
  if (mtu != 0 && padded > mtu)
    padded = mtu;
  return len + (padded - last_unit);
}

} // namespace overlayd::net::wg
