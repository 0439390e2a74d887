// cookie: WireGuard's DoS defence (whitepaper 5.3, 5.4.4, 5.4.7). Every
// handshake message carries mac1, keyed by the receiver's public key, so
// only senders who know whom they talk to get any answer. Under load the
// responder also wants mac2, keyed by a cookie that binds the sender's
// address; it hands that cookie out encrypted in a cookie reply instead of
// doing Curve25519 work.
//   cookie_checker  - the receiving side: checks mac1/mac2, writes replies.
//   cookie_consumer - the sending side, one per peer: adds mac1/mac2 to what
//                     it sends and takes in the peer's cookie replies.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "net/wireguard/blake2s.hpp"
#include "net/wireguard/keys.hpp"
#include "net/wireguard/messages.hpp"

namespace overlayd::net::wg {

using steady_time = std::chrono::steady_clock::time_point;

// A cookie (and the secret behind it) lives this long (whitepaper 6.1:
// Cookie-Refresh-Time = 120 s).
inline constexpr std::chrono::seconds cookie_refresh_time{120};

// HASH("mac1----" || public_key): the mac1 key of messages sent to `public_key`.
key32 mac1_key_for(const key32& public_key) noexcept;
// HASH("cookie--" || public_key): the XChaCha20-Poly1305 key of cookie
// replies sent by the owner of `public_key`.
key32 cookie_key_for(const key32& public_key) noexcept;

// MAC(mac1_key, msg[0 : len-32]): the mac1 a handshake message of `len` bytes must carry.
mac16 compute_mac1(const key32& mac1_key, const std::uint8_t* msg, std::size_t len) noexcept;
// Constant-time check of the mac1 field; false for messages shorter than the MACs.
bool verify_mac1(const key32& mac1_key, const std::uint8_t* msg, std::size_t len) noexcept;

class cookie_checker {
public:
  cookie_checker() = default;
  explicit cookie_checker(const key32& local_public) noexcept;
  ~cookie_checker();
  cookie_checker(const cookie_checker&) = default;
  cookie_checker& operator=(const cookie_checker&) = default;

  // mac1 of a handshake message addressed to us (msg is the whole message).
  bool check_mac1(const std::uint8_t* msg, std::size_t len) const noexcept;

  // mac2 against the cookie for `source` (the sender's address bytes: IP then
  // UDP port, say; only this checker ever reads them, so any stable encoding
  // works). False while no secret younger than 120 s exists: a sender can only
  // hold a valid cookie if we issued it from the current secret.
  bool check_mac2(const std::uint8_t* msg, std::size_t len, const std::uint8_t* source,
                  std::size_t source_len, steady_time now) const noexcept;

  // Writes a cookie reply (cookie_reply::size bytes) answering `msg`, a
  // handshake message: receiver = msg's sender index, AD = msg's mac1.
  // Rotates the secret first when it is older than 120 s. False when `msg`
  // is too short to be a handshake message.
  bool create_reply(const std::uint8_t* msg, std::size_t len, const std::uint8_t* source,
                    std::size_t source_len, steady_time now, std::uint8_t* out) noexcept;

private:
  bool secret_fresh(steady_time now) const noexcept;
  mac16 cookie_for(const std::uint8_t* source, std::size_t source_len) const noexcept;

  key32 mac1_key_{};
  key32 encryption_key_{};
  key32 secret_{};
  steady_time secret_born_{};
  bool has_secret_ = false;
};

class cookie_consumer {
public:
  cookie_consumer() = default;
  explicit cookie_consumer(const key32& remote_public) noexcept;
  ~cookie_consumer();
  cookie_consumer(const cookie_consumer&) = default;
  cookie_consumer& operator=(const cookie_consumer&) = default;

  // Fills the last 32 bytes of a handshake message we are about to send:
  // mac1 always; mac2 from the cookie when one younger than 120 s is held,
  // zeros otherwise. Remembers mac1, the AD of any cookie reply to it.
  void add_macs(std::uint8_t* msg, std::size_t len, steady_time now) noexcept;

  // Takes a cookie reply (the whole message) answering our last message.
  // False when it has the wrong size or type, answers nothing we sent, or
  // does not decrypt; the stored cookie is then unchanged.
  bool consume_reply(const std::uint8_t* msg, std::size_t len, steady_time now) noexcept;

  bool has_fresh_cookie(steady_time now) const noexcept;

private:
  key32 mac1_key_{};
  key32 decryption_key_{};
  mac16 last_mac1_{};
  bool sent_mac1_ = false;
  mac16 cookie_{};
  steady_time cookie_received_{};
  bool has_cookie_ = false;
};

} // namespace overlayd::net::wg
