#include "net/wireguard/transport_crypto.hpp"

#include <cstdlib>
#include <cstring>

#include "net/wireguard/chacha20_poly1305.hpp"
#include "net/wireguard/openssl_aead.hpp"

namespace overlayd::net::wg {

namespace {

inline void make_nonce(std::uint8_t (&nonce)[chacha20_poly1305_nonce_size],
                       std::uint64_t counter) noexcept {
  nonce[0] = nonce[1] = nonce[2] = nonce[3] = 0;
  store_le64(nonce + 4, counter);
}

constexpr std::size_t padding_multiple = 16;

// The own kernels only where the CPU runs them, and unless OVERLAYD_AEAD
// says otherwise (benchmarks compare both in one run).
chacha20_isa own_kernel() noexcept {
  static const chacha20_isa chosen = [] {
    const char* asked = std::getenv("OVERLAYD_AEAD");
    const bool want_own = asked != nullptr ? std::strcmp(asked, "overlayd") == 0
                                           : default_aead == aead_backend::overlayd;
    return want_own ? best_chacha20_isa() : chacha20_isa::none;
  }();
  return chosen;
}

} // namespace

const char* transport_aead_name() noexcept {
  switch (own_kernel()) {
  case chacha20_isa::avx512: return "overlayd AVX-512";
  case chacha20_isa::avx2: return "overlayd AVX2";
  default: return "OpenSSL";
  }
}

void seal(const key32& key, std::uint64_t counter, std::uint8_t* data, std::size_t len,
          std::uint8_t* tag_out) noexcept {
  std::uint8_t nonce[chacha20_poly1305_nonce_size];
  make_nonce(nonce, counter);
  if (const chacha20_isa isa = own_kernel(); isa != chacha20_isa::none)
    chacha20_poly1305_seal(isa, key, nonce, data, len, tag_out);
  else
    openssl_seal(key, nonce, data, len, tag_out);
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
  const std::size_t clen = len - aead_tag_size;
  std::uint8_t nonce[chacha20_poly1305_nonce_size];
  make_nonce(nonce, counter);
  // A forgery is never looked at: the own kernels check the tag before
  // they decrypt, OpenSSL's path wipes what it decrypted.
  const chacha20_isa isa = own_kernel();
  const bool authentic = isa != chacha20_isa::none
                           ? chacha20_poly1305_open(isa, key, nonce, buf, clen, buf + clen)
                           : openssl_open(key, nonce, buf, clen, buf + clen);
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
