// device_core: the WireGuard protocol engine of one device, without any
// I/O: cryptokey routing, sessions, handshakes, cookies and timers. The
// platform device (platform/wg_device.hpp) feeds it packets from its TUN
// and UDP threads and sends what it returns; tests drive two of them
// against each other in memory.
//
// Threads and locking:
//   - seal_batch (the TUN reader) and open_batch (the one UDP reader) take
//     the shared lock once per batch, never per packet. What they change
//     is atomic or theirs alone (a keypair's replay window belongs to the
//     UDP reader). Each routes its batch, then seals or opens it on its
//     crypto_workers (crypto_workers.hpp: all cores, packets in order),
//     then finishes it, still under the one shared lock.
//   - handshake messages, timers and configuration run on one control
//     thread under the exclusive lock. Data-plane threads ask it for work
//     (a handshake, promoting a confirmed session) through `wake`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/overlay_mtu.hpp"
#include "net/wireguard/allowed_ips.hpp"
#include "net/wireguard/cookie.hpp"
#include "net/wireguard/crypto_workers.hpp"
#include "net/wireguard/handshake.hpp"
#include "net/wireguard/peer.hpp"
#include "net/wireguard/timing.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd::net::wg {

using wall_time = std::chrono::system_clock::time_point;

// A datagram the control thread sends (handshakes, keepalives, staged
// packets): rare, so it may own its bytes.
struct outgoing_datagram {
  std::vector<std::uint8_t> bytes;
  endpoint to;
};

// One packet from the TUN device on its way out. The IP packet sits at
// message + transport::header_size; sealing writes the header before it and
// the padding and tag after it, so `capacity` must leave room for both.
struct seal_slot {
  std::uint8_t* message = nullptr;
  std::size_t packet_length = 0;
  std::size_t capacity = 0;
  // Out: bytes to send (0: dropped or waiting for a session) and where.
  std::size_t message_length = 0;
  endpoint to;
  // The engine's, from routing to sealing: the session key (null: nothing
  // to seal), the counter and the padded length.
  const key32* key = nullptr;
  std::uint64_t counter = 0;
  std::size_t padded = 0;
};

// One datagram from the UDP socket.
struct open_slot {
  enum class verdict : std::uint8_t {
    drop,    // bad, replayed, not ours, or a keepalive
    deliver, // write packet..packet+packet_length to the TUN device
    control, // a handshake message: hand it to handle_control
  };

  std::uint8_t* message = nullptr;
  std::size_t length = 0;
  endpoint from;
  // Bytes the caller owns from `message` on (0: just `length`); the TUN
  // writer may grow a decrypted packet into them.
  std::size_t capacity = 0;
  // Out.
  verdict result = verdict::drop;
  std::uint8_t* packet = nullptr;
  std::size_t packet_length = 0;
  // The engine's, from the index lookup to the replay window: the session
  // (null: nothing to open), the counter and what opening found.
  keypair* session = nullptr;
  std::uint64_t counter = 0;
  bool authenticated = false;
  std::size_t plain_length = 0;
};

// What the device counts when it drops something (never per-packet logs).
// One peer's counters, for metrics (no key material but its public key).
struct peer_counters {
  key32 public_key{};
  std::optional<endpoint> remote;
  std::int64_t last_handshake_unix_ns = 0; // 0: never
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t handshake_initiations = 0;
  std::uint64_t handshake_failures = 0;
};

struct drop_counters {
  std::atomic<std::uint64_t> no_route{0};       // no peer's allowed IPs hold the destination
  std::atomic<std::uint64_t> no_endpoint{0};    // the peer has no endpoint yet
  std::atomic<std::uint64_t> malformed{0};      // too short, unknown type, bad IP header
  std::atomic<std::uint64_t> unknown_index{0};  // data for a session we do not have
  std::atomic<std::uint64_t> replayed{0};       // counter already seen or too old
  std::atomic<std::uint64_t> forged{0};         // did not authenticate
  std::atomic<std::uint64_t> wrong_source{0};   // inner source not in the peer's allowed IPs
  std::atomic<std::uint64_t> handshake_rejected{0};
  std::atomic<std::uint64_t> staged_overflow{0};
};

class device_core {
public:
  // `crypto_threads` seal each batch, and as many open each (1: the
  // calling thread alone).
  explicit device_core(timing t = {}, std::size_t mtu = default_overlay_mtu,
                       unsigned crypto_threads = 1);
  ~device_core();
  device_core(const device_core&) = delete;
  device_core& operator=(const device_core&) = delete;

  // Called (from any thread, with no lock held by the caller) when the
  // control thread has work: a handshake to start, a session to promote.
  void set_wake(std::function<void()> wake);

  // -- configuration (control thread) ------------------------------------------------

  // Applies a parsed UAPI set as one change. The listen port is recorded
  // here; binding it is the platform device's.
  uapi_error apply(const uapi_set_request& set, steady_time now);
  uapi_device_status status() const;
  std::optional<key32> public_key() const;
  std::uint16_t listen_port() const;
  std::size_t peer_count() const;

  // Under load, initiations and responses without a valid mac2 get a
  // cookie reply instead of an answer (whitepaper 5.3).
  void set_under_load(bool under_load) noexcept { under_load_.store(under_load); }

  // -- data plane ------------------------------------------------------------------------

  void seal_batch(seal_slot* slots, std::size_t count, steady_time now);
  void open_batch(open_slot* slots, std::size_t count, steady_time now);

  // -- control thread ----------------------------------------------------------------------

  void handle_control(const std::uint8_t* message, std::size_t length, const endpoint& from,
                      steady_time now, wall_time wall, std::vector<outgoing_datagram>& out);
  // Asks for a handshake with `peer` at its current endpoint on the next
  // tick, even while one is in flight (a retry then goes out at once): NAT
  // traversal proves a new endpoint or punches a hole without waiting for
  // traffic or the retry timer. False for an unknown peer.
  bool handshake_now(const key32& peer);
  // Runs every peer's timers; call it every ~100 ms and after a wake.
  void tick(steady_time now, wall_time wall, std::vector<outgoing_datagram>& out);

  const drop_counters& drops() const noexcept { return drops_; }
  // Any thread (takes the shared lock).
  std::vector<peer_counters> counters() const;

private:
  struct index_entry {
    peer* owner = nullptr;
    keypair* session = nullptr; // null: a handshake we initiated, waiting for a response
  };

  peer* find_peer(const key32& public_key) const;
  peer* add_peer(const key32& public_key);
  void remove_peer(peer* p);
  void rebuild_identity(const key32& private_key);

  std::uint32_t new_index(index_entry entry);
  void drop_index(std::uint32_t index);
  void install(peer& p, std::unique_ptr<keypair> session, bool as_initiator);
  void drop_sessions(peer& p);
  void promote_next(peer& p);

  keypair* sendable(peer& p, steady_time now) const;
  // The parts of seal_batch and open_batch before and after the crypto.
  void route_for_sealing(seal_slot& s, steady_time now);
  void find_session(open_slot& s, steady_time now);
  void finish_opened(open_slot& s, steady_time now);
  void stage(peer& p, const std::uint8_t* packet, std::size_t length);
  void want_handshake(peer& p);

  void consume_initiation_message(const std::uint8_t* message, std::size_t length,
                                  const endpoint& from, steady_time now, wall_time wall,
                                  std::vector<outgoing_datagram>& out);
  void consume_response_message(const std::uint8_t* message, std::size_t length,
                                const endpoint& from, steady_time now, wall_time wall,
                                std::vector<outgoing_datagram>& out);
  void consume_cookie_reply(const std::uint8_t* message, std::size_t length, steady_time now);
  bool answer_with_cookie_if_loaded(const std::uint8_t* message, std::size_t length,
                                    const endpoint& from, steady_time now,
                                    std::vector<outgoing_datagram>& out);

  void send_initiation(peer& p, steady_time now, wall_time wall,
                       std::vector<outgoing_datagram>& out);
  // Seals `length` bytes (0: a keepalive) for `p` into `out`.
  bool send_data(peer& p, const std::uint8_t* packet, std::size_t length, steady_time now,
                 std::vector<outgoing_datagram>& out);
  void flush_staged(peer& p, steady_time now, std::vector<outgoing_datagram>& out);
  void run_timers(peer& p, steady_time now, wall_time wall,
                  std::vector<outgoing_datagram>& out);
  void session_established(peer& p, steady_time now, wall_time wall);

  const timing timing_;
  const std::size_t mtu_;

  mutable std::shared_mutex lock_;
  std::function<void()> wake_;
  std::atomic<bool> under_load_{false};

  bool has_identity_ = false;
  static_identity identity_;
  cookie_checker cookies_;
  std::uint16_t listen_port_ = 0;
  std::uint32_t fwmark_ = 0;

  peer_id next_peer_id_ = 1;
  std::map<key32, std::unique_ptr<peer>> peers_; // ordered: `wg show` lists them stably
  std::unordered_map<peer_id, peer*> by_id_;
  allowed_ips routes_;
  std::unordered_map<std::uint32_t, index_entry> indices_;

  drop_counters drops_;

  crypto_workers seal_workers_;
  crypto_workers open_workers_;
};

} // namespace overlayd::net::wg
