#include "net/wireguard/cookie.hpp"

#include <cstring>

#include <sodium.h>

namespace overlayd::net::wg {

namespace {

constexpr char label_mac1[] = "mac1----";
constexpr char label_cookie[] = "cookie--";

key32 labelled_hash(const char (&label)[9], const key32& public_key) noexcept {
  return hash(reinterpret_cast<const std::uint8_t*>(label), 8, public_key.data(),
              public_key.size());
}

} // namespace

key32 mac1_key_for(const key32& public_key) noexcept {
  return labelled_hash(label_mac1, public_key);
}

key32 cookie_key_for(const key32& public_key) noexcept {
  return labelled_hash(label_cookie, public_key);
}

mac16 compute_mac1(const key32& mac1_key, const std::uint8_t* msg, std::size_t len) noexcept {
  return mac(mac1_key.data(), mac1_key.size(), msg, len - macs_size);
}

bool verify_mac1(const key32& mac1_key, const std::uint8_t* msg, std::size_t len) noexcept {
  if (len < macs_size)
    return false;
  mac16 expected = compute_mac1(mac1_key, msg, len);
  return sodium_memcmp(expected.data(), msg + len - macs_size, mac_size) == 0;
}

// -- cookie_checker ---------------------------------------------------------

cookie_checker::cookie_checker(const key32& local_public) noexcept
    : mac1_key_(mac1_key_for(local_public)), encryption_key_(cookie_key_for(local_public)) {}

cookie_checker::~cookie_checker() {
  sodium_memzero(secret_.data(), secret_.size());
}

bool cookie_checker::check_mac1(const std::uint8_t* msg, std::size_t len) const noexcept {
  return verify_mac1(mac1_key_, msg, len);
}

bool cookie_checker::secret_fresh(steady_time now) const noexcept {
  return has_secret_ && now - secret_born_ < cookie_refresh_time;
}

mac16 cookie_checker::cookie_for(const std::uint8_t* source, std::size_t source_len) const
    noexcept {
  return mac(secret_.data(), secret_.size(), source, source_len);
}

bool cookie_checker::check_mac2(const std::uint8_t* msg, std::size_t len,
                                const std::uint8_t* source, std::size_t source_len,
                                steady_time now) const noexcept {
  if (len < macs_size || !secret_fresh(now))
    return false;
  mac16 cookie = cookie_for(source, source_len);
  mac16 expected = mac(cookie.data(), cookie.size(), msg, len - mac_size);
  bool ok = sodium_memcmp(expected.data(), msg + len - mac_size, mac_size) == 0;
  sodium_memzero(cookie.data(), cookie.size());
  return ok;
}

bool cookie_checker::create_reply(const std::uint8_t* msg, std::size_t len,
                                  const std::uint8_t* source, std::size_t source_len,
                                  steady_time now, std::uint8_t* out) noexcept {
  // Both handshake messages carry their sender index at offset 4.
  if (len < 8 + macs_size)
    return false;
  if (!secret_fresh(now)) {
    ensure_sodium();
    randombytes_buf(secret_.data(), secret_.size());
    secret_born_ = now;
    has_secret_ = true;
  }
  mac16 cookie = cookie_for(source, source_len);
  write_message_type(out, message_type::cookie_reply);
  store_le32(out + cookie_reply::receiver, load_le32(msg + initiation::sender));
  std::uint8_t* nonce = out + cookie_reply::nonce;
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const std::uint8_t* mac1 = msg + len - macs_size;
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + cookie_reply::encrypted_cookie, &written,
                                             cookie.data(), cookie.size(), mac1, mac_size,
                                             nullptr, nonce, encryption_key_.data());
  sodium_memzero(cookie.data(), cookie.size());
  return true;
}

// -- cookie_consumer --------------------------------------------------------

cookie_consumer::cookie_consumer(const key32& remote_public) noexcept
    : mac1_key_(mac1_key_for(remote_public)), decryption_key_(cookie_key_for(remote_public)) {}

cookie_consumer::~cookie_consumer() {
  sodium_memzero(cookie_.data(), cookie_.size());
}

bool cookie_consumer::has_fresh_cookie(steady_time now) const noexcept {
  return has_cookie_ && now - cookie_received_ < cookie_refresh_time;
}

void cookie_consumer::add_macs(std::uint8_t* msg, std::size_t len, steady_time now) noexcept {
  if (len < macs_size)
    return;
  std::uint8_t* mac1 = msg + len - macs_size;
  std::uint8_t* mac2 = msg + len - mac_size;
  last_mac1_ = compute_mac1(mac1_key_, msg, len);
  sent_mac1_ = true;
  std::memcpy(mac1, last_mac1_.data(), mac_size);
  if (has_fresh_cookie(now)) {
    mac16 m = mac(cookie_.data(), cookie_.size(), msg, len - mac_size);
    std::memcpy(mac2, m.data(), mac_size);
  } else {
    std::memset(mac2, 0, mac_size);
  }
}

bool cookie_consumer::consume_reply(const std::uint8_t* msg, std::size_t len,
                                    steady_time now) noexcept {
  if (len != cookie_reply::size
      || read_message_type(msg, len) != static_cast<std::uint32_t>(message_type::cookie_reply)
      || !sent_mac1_)
    return false;
  mac16 cookie;
  unsigned long long plain_len = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      cookie.data(), &plain_len, nullptr, msg + cookie_reply::encrypted_cookie,
      mac_size + aead_tag_size, last_mac1_.data(), mac_size, msg + cookie_reply::nonce,
      decryption_key_.data());
  if (rc != 0 || plain_len != cookie.size())
    return false;
  cookie_ = cookie;
  cookie_received_ = now;
  has_cookie_ = true;
  sodium_memzero(cookie.data(), cookie.size());
  return true;
}

} // namespace overlayd::net::wg
