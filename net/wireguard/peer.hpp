// peer: everything a device knows about one remote peer: its configuration
// (key, endpoint, keepalive), its handshake, its sessions, the event times
// the timers work from, and its counters.
//
// Locking (see device_core.hpp): the data-plane threads read a peer under
// the device's shared lock; what they change is atomic (times, counters,
// the endpoint's sequence lock, the responder-confirmed flag). Everything
// else changes only under the exclusive lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "net/wireguard/allowed_ips.hpp"
#include "net/wireguard/handshake.hpp"
#include "net/wireguard/keypair.hpp"
#include "net/wireguard/shared_endpoint.hpp"

namespace overlayd::net::wg {

// A steady_clock reading kept in an atomic (nanoseconds since its epoch;
// 0 = never).
class event_time {
public:
  void mark(steady_time t) noexcept {
    value_.store(t.time_since_epoch().count(), std::memory_order_relaxed);
  }
  bool ever() const noexcept { return value_.load(std::memory_order_relaxed) != 0; }
  steady_time get() const noexcept {
    return steady_time(steady_time::duration(value_.load(std::memory_order_relaxed)));
  }
  // Keeps an earlier mark: "since when" rather than "last time".
  void mark_unless_set(steady_time t) noexcept {
    steady_time::rep unset = 0;
    value_.compare_exchange_strong(unset, t.time_since_epoch().count(),
                                   std::memory_order_relaxed);
  }
  void reset() noexcept { value_.store(0, std::memory_order_relaxed); }

private:
  std::atomic<steady_time::rep> value_{0};
};

struct peer {
  peer(peer_id handle, const static_identity& local, const key32& remote_static)
      : id(handle), handshake(local, remote_static) {}

  // -- configuration ---------------------------------------------------------------

  const peer_id id;
  peer_handshake_state handshake; // holds the public key and the psk
  shared_endpoint endpoint;
  std::uint16_t persistent_keepalive = 0; // seconds, 0 = off

  const key32& public_key() const noexcept { return handshake.remote_static; }

  // -- sessions (exclusive lock to change) ------------------------------------------

  std::unique_ptr<keypair> current;
  std::unique_ptr<keypair> previous;
  std::unique_ptr<keypair> next;
  // The responder's next keypair saw data: promote it at the next chance.
  std::atomic<bool> next_confirmed{false};

  // -- handshake timing (control thread, exclusive lock) ------------------------------

  bool handshake_in_flight = false;
  steady_time handshake_started{};   // first attempt of this round
  steady_time last_initiation_sent{};
  std::chrono::milliseconds retry_jitter{0};
  // Set by any thread that found no usable session; the control thread
  // starts a handshake.
  std::atomic<bool> handshake_wanted{false};

  // -- events the timers work from (any thread) --------------------------------------

  event_time last_data_received; // a non-keepalive packet came in
  event_time last_sent;          // anything authenticated went out
  event_time last_received;      // anything authenticated came in
  event_time last_session;       // a session was last established
  // The first data sent since anything authenticated came back: if the
  // silence lasts, the session is presumed dead (wireguard-go's
  // newHandshake timer).
  event_time unanswered_since;
  std::atomic<bool> keepalive_owed{false}; // data came in, nothing sent since
  // Unix time of the last completed handshake (what `wg show` prints).
  std::atomic<std::int64_t> last_handshake_unix_ns{0};

  std::atomic<std::uint64_t> rx_bytes{0};
  std::atomic<std::uint64_t> tx_bytes{0};
  // For metrics: authenticated packets each way (keepalives included),
  // handshake initiations sent, and handshake rounds given up after
  // REKEY_ATTEMPT_TIME without an answer.
  std::atomic<std::uint64_t> rx_packets{0};
  std::atomic<std::uint64_t> tx_packets{0};
  std::atomic<std::uint64_t> handshake_initiations{0};
  std::atomic<std::uint64_t> handshake_failures{0};

  // -- packets waiting for a session -------------------------------------------------

  static constexpr std::size_t max_staged = 128;
  std::mutex staged_lock;
  std::deque<std::vector<std::uint8_t>> staged;
};

} // namespace overlayd::net::wg
