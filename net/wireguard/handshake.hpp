// handshake: WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake,
// byte for byte as whitepaper 5.4 defines it (so that stock peers such as
// wireguard-go and the kernel accept it): the initiation (5.4.2), the
// response (5.4.3) and the transport keys both sides derive (5.4.5).
//
// Flow, with the device owning sockets, timers and the index table:
//   initiator: create_initiation -> send; later consume_response -> keys
//   responder: consume_initiation (learns the claimed static key, so the
//              device can find the peer) -> complete_initiation (peer-specific
//              checks: ss, timestamp replay, flood) -> create_response -> keys
// Sender indices are chosen by the caller; time is passed in, never read.
// No function allocates; failures return a handshake_error and leave the
// peer's state as it was (a forged message cannot spoil a real handshake).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "net/wireguard/blake2s.hpp"
#include "net/wireguard/cookie.hpp"
#include "net/wireguard/keys.hpp"
#include "net/wireguard/messages.hpp"

namespace overlayd::net::wg {

// -- constants --------------------------------------------------------------

inline constexpr char noise_construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr char wg_identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

// C0 = HASH(construction) and H0 = HASH(C0 || identifier), the same for
// every handshake; computed once.
const digest32& initial_chaining_key() noexcept;
const digest32& initial_hash() noexcept;

// Initiations from one peer are taken at most once per this interval
// (wireguard-go's HandshakeInitationRate: 50 per second).
inline constexpr std::chrono::milliseconds initiation_flood_interval{20};

// -- TAI64N -----------------------------------------------------------------

// 12 bytes: seconds + 2^62 + 10 as big-endian u64, then nanoseconds as
// big-endian u32. Big-endian, so byte order is time order. The responder
// only needs each peer's timestamps to grow (it keeps the greatest one and
// drops initiations not above it, the replay defence); the absolute value
// is never checked, so clocks need not agree, but a sender whose clock
// steps back is refused until it passes its old time again. The +10 is the
// reference code's (not true TAI) and is kept because peers compare bytes.
using tai64n = std::array<std::uint8_t, tai64n_size>;

// Nanoseconds are rounded down to a multiple of 2^24 (~16.8 ms), as the
// kernel and wireguard-go do, so the timestamp is no precise clock oracle;
// that is finer than the 20 ms flood interval, so fresh initiations still
// get growing timestamps.
tai64n make_tai64n(std::chrono::system_clock::time_point wall) noexcept;
// a > b in time (big-endian byte comparison).
bool tai64n_after(const tai64n& a, const tai64n& b) noexcept;

// -- results ----------------------------------------------------------------

enum class handshake_error {
  none,
  wrong_size,         // not exactly the message's length
  wrong_type,         // the type word is not the expected message type
  bad_mac1,           // mac1 does not verify: not meant for us, or tampered
  bad_public_key,     // a DH gave all zeros (a low-order point)
  decrypt_failed,     // an AEAD did not verify: wrong keys or tampered bytes
  peer_mismatch,      // complete_initiation got a peer other than the one decrypted
  replayed_timestamp, // timestamp not above the greatest seen from this peer
  flood,              // initiations from this peer arrive too fast
  wrong_state,        // the peer has no handshake in the phase this step needs
  wrong_index,        // the response's receiver is not our pending sender index
};

const char* to_string(handshake_error e) noexcept;

struct transport_keys {
  key32 send{};
  key32 receive{};
  std::uint32_t local_index = 0;  // receiver index the peer puts on data for us
  std::uint32_t remote_index = 0; // receiver index we put on data for the peer
  bool is_initiator = false;      // the responder must not send before it receives
};

// -- per interface ----------------------------------------------------------

// Our static key pair and what derives from it alone.
struct static_identity {
  key32 private_key{};
  key32 public_key{};
  key32 mac1_key{};       // HASH("mac1----" || public_key): mac1 of messages to us
  key32 cookie_key{};     // HASH("cookie--" || public_key): our cookie replies
  digest32 responder_hash{}; // HASH(H0 || public_key): a responder's first hash

  static static_identity from_private_key(const key32& private_key) noexcept;
};

// -- per remote peer --------------------------------------------------------

enum class handshake_phase : std::uint8_t {
  zeroed,
  initiation_created,  // we initiated and wait for a response
  initiation_consumed, // we took an initiation and may answer it
};

struct peer_handshake_state {
  peer_handshake_state() = default;
  // Precomputes the static-static DH (zero when `remote_static` is a
  // low-order point, which makes every handshake with it fail) and the
  // peer's mac1/cookie keys. An all-zero psk means "no psk", as in the paper.
  peer_handshake_state(const static_identity& local, const key32& remote_static,
                       const key32& preshared_key = key32{}) noexcept;
  ~peer_handshake_state();
  peer_handshake_state(const peer_handshake_state&) = default;
  peer_handshake_state& operator=(const peer_handshake_state&) = default;

  // Zeroes the in-progress handshake (keys, hashes, ephemerals, indices).
  void clear_handshake() noexcept;

  // -- configuration --
  key32 remote_static{};
  key32 static_static{}; // DH(our static private, remote_static)
  key32 preshared_key{};
  cookie_consumer cookies; // macs on what we send it, its cookie replies

  // -- kept across handshakes --
  tai64n last_timestamp{}; // greatest accepted initiation timestamp
  steady_time last_initiation_consumed{};
  bool has_consumed_initiation = false;

  // -- the handshake in progress --
  handshake_phase phase = handshake_phase::zeroed;
  digest32 hash{};
  digest32 chaining_key{};
  key32 local_ephemeral{};  // private
  key32 remote_ephemeral{}; // public
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
};

// What a responder learns from an initiation before it knows the peer.
struct pending_initiation {
  ~pending_initiation();

  key32 remote_static{}; // the initiator's claimed static key: look the peer up by it
  std::uint32_t remote_index = 0; // the initiator's sender index
  // Handshake state after "e, es, s"; opaque to callers.
  digest32 hash{};
  digest32 chaining_key{};
  key32 remote_ephemeral{};
  std::array<std::uint8_t, tai64n_size + aead_tag_size> encrypted_timestamp{};
};

// -- the steps --------------------------------------------------------------

// Initiator: writes an initiation (initiation::size bytes) to `out`, with
// mac1 and, when a cookie younger than 120 s is held, mac2. Starts a new
// handshake with `local_index` as our sender index, replacing any other.
handshake_error create_initiation(const static_identity& local, peer_handshake_state& peer,
                                  std::uint32_t local_index, const tai64n& timestamp,
                                  steady_time now, std::uint8_t* out) noexcept;

// Responder, step 1: checks size, type and mac1, then decrypts the
// initiator's static key into `out.remote_static`. Touches no peer state.
// mac2 (under load) is the device's check, through a cookie_checker.
handshake_error consume_initiation(const static_identity& local, const std::uint8_t* msg,
                                   std::size_t len, pending_initiation& out) noexcept;

// Responder, step 2, with the peer whose remote_static matched: mixes in
// the static-static DH, decrypts the timestamp, refuses replays and floods,
// and on success makes the handshake the peer's current one.
handshake_error complete_initiation(peer_handshake_state& peer,
                                    const pending_initiation& pending,
                                    steady_time now) noexcept;

// Responder: writes a response (response::size bytes) to `out` with
// `local_index` as our sender index, derives `keys` and zeroes the
// handshake. The keys are the responder's: it may only send once data from
// the initiator has arrived under them (the initiator's confirmation).
handshake_error create_response(peer_handshake_state& peer, std::uint32_t local_index,
                                steady_time now, std::uint8_t* out,
                                transport_keys& keys) noexcept;

// Initiator: takes the response to our pending initiation (the caller found
// `peer` by the message's receiver index), derives `keys` and zeroes the
// handshake.
handshake_error consume_response(const static_identity& local, peer_handshake_state& peer,
                                 const std::uint8_t* msg, std::size_t len,
                                 transport_keys& keys) noexcept;

} // namespace overlayd::net::wg
