#include "net/relay/relay_key.hpp"

#include <sodium.h>

#include "net/wireguard/keys.hpp"

namespace overlayd::net::relay {

auth_key::~auth_key() {
  sodium_memzero(bytes.data(), bytes.size());
}

auth_key derive_auth_key(std::string_view credential) noexcept {
  // BLAKE2b needs no randomness, so it works even if sodium_init failed;
  // the call only selects the fastest implementation.
  (void)wg::ensure_sodium();
  auth_key key;
  crypto_generichash(key.bytes.data(), key.bytes.size(),
                     reinterpret_cast<const unsigned char*>(credential.data()), credential.size(),
                     nullptr, 0);
  return key;
}

tag32 compute_tag(const auth_key& key, const std::uint8_t* msg, std::size_t len) noexcept {
  (void)wg::ensure_sodium();
  tag32 tag{};
  crypto_generichash(tag.data(), tag.size(), msg, len, key.bytes.data(), key.bytes.size());
  return tag;
}

bool verify_tag(const auth_key& key, const std::uint8_t* msg, std::size_t len,
                const std::uint8_t* tag) noexcept {
  tag32 expected = compute_tag(key, msg, len);
  static_assert(tag_size == crypto_verify_32_BYTES);
  return crypto_verify_32(expected.data(), tag) == 0;
}

} // namespace overlayd::net::relay
