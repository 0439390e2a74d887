#include "net/wireguard/keys.hpp"

#include <vector>

#include <sodium.h>

namespace overlayd::net::wg {

bool ensure_sodium() noexcept {
  // sodium_init is itself thread-safe and idempotent; the static only saves
  // the call on hot paths.
  static const bool ready = sodium_init() >= 0;
  return ready;
}

void clamp_private_key(key32& key) noexcept {
  key[0] &= 248;
  key[31] = static_cast<std::uint8_t>((key[31] & 127) | 64);
}

key32 generate_private_key() noexcept {
  ensure_sodium();
  key32 key;
  randombytes_buf(key.data(), key.size());
  clamp_private_key(key);
  return key;
}

key32 public_key_from_private(const key32& private_key) noexcept {
  ensure_sodium();
  key32 pub{};
  crypto_scalarmult_base(pub.data(), private_key.data());
  return pub;
}

bool x25519(key32& out, const key32& private_key, const key32& their_public) noexcept {
  ensure_sodium();
  // libsodium already returns -1 for an all-zero result; the explicit check
  // keeps the contract independent of the library version.
  int rc = crypto_scalarmult(out.data(), private_key.data(), their_public.data());
  return rc == 0 && !key_is_zero(out);
}

bool key_is_zero(const key32& key) noexcept {
  return sodium_is_zero(key.data(), key.size()) == 1;
}

bool keys_equal(const key32& a, const key32& b) noexcept {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string key_to_base64(const key32& key) {
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  char buf[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(buf, sizeof buf, key.data(), key.size(), variant);
  std::string out(buf); // 44 characters
  sodium_memzero(buf, sizeof buf);
  return out;
}

result<key32> key_from_base64(std::string_view text) {
  // Decode into a buffer sized for the input so that a wrong length can be
  // reported with the real decoded size, as the original does.
  std::vector<unsigned char> buf(text.size() / 4 * 3 + 3);
  std::size_t decoded = 0;
  int rc = sodium_base642bin(buf.data(), buf.size(), text.data(), text.size(), nullptr,
                             &decoded, nullptr, sodium_base64_VARIANT_ORIGINAL);
  if (rc != 0) {
    sodium_memzero(buf.data(), buf.size());
    return make_error("Invalid base64 key: not standard padded base64");
  }
  if (decoded != 32) {
    sodium_memzero(buf.data(), buf.size());
    return make_error("Invalid key length: expected 32 bytes, got " + std::to_string(decoded));
  }
  key32 key;
  std::copy(buf.begin(), buf.begin() + 32, key.begin());
  sodium_memzero(buf.data(), buf.size());
  return key;
}

std::string key_to_hex(const key32& key) {
  char buf[65];
  sodium_bin2hex(buf, sizeof buf, key.data(), key.size());
  std::string out(buf, 64);
  sodium_memzero(buf, sizeof buf);
  return out;
}

result<key32> key_from_hex(std::string_view text) {
  if (text.size() != 64)
    return make_error("Invalid hex key: expected 64 hex characters, got "
                      + std::to_string(text.size()));
  key32 key;
  std::size_t decoded = 0;
  const char* end = nullptr;
  int rc = sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &decoded,
                          &end);
  if (rc != 0 || decoded != 32 || end != text.data() + text.size()) {
    sodium_memzero(key.data(), key.size());
    return make_error("Invalid hex key: not a hex string");
  }
  return key;
}

} // namespace overlayd::net::wg
