// keypair: one transport session with a peer (whitepaper 5.4.5-5.4.6): the
// keys a handshake derived, the send counter and the receive replay window.
// A peer holds up to three: the current one, the previous one (packets
// still in flight under it), and the next one (the responder's, until the
// initiator's first data confirms it).
#pragma once

#include <atomic>
#include <cstdint>

#include "net/wireguard/cookie.hpp"
#include "net/wireguard/handshake.hpp"
#include "net/wireguard/replay_window.hpp"

namespace overlayd::net::wg {

struct peer;

struct keypair {
  keypair(const transport_keys& k, steady_time born, peer* of) noexcept
      : keys(k), created(born), owner(of) {}
  ~keypair() { sodium_wipe(); }
  keypair(const keypair&) = delete;
  keypair& operator=(const keypair&) = delete;

  bool expired(steady_time now, std::chrono::milliseconds reject_after) const noexcept {
    return now - created >= reject_after;
  }

  transport_keys keys;
  steady_time created;
  peer* owner;
  // Taken by whichever thread seals: the TUN reader, or the control
  // thread for keepalives and staged packets.
  std::atomic<std::uint64_t> send_counter{0};
  // Only the single UDP reader thread touches it.
  replay_window replay;

private:
  void sodium_wipe() noexcept;
};

} // namespace overlayd::net::wg
