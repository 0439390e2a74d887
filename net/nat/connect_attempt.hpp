// connect_attempt: one peer's walk through its advertised candidates
// (nat_transport.md 4.6 with DECISIONS.md 22), without any I/O. The NAT
// traversal actor asks it what to do about once a second and does it:
// switch the peer's endpoint to the next candidate, punch again (a fresh
// handshake initiation), wait, or stop.
//
// Success is a handshake completed after the switch to the current
// candidate; a handshake from before proves nothing about the new path.
// When every candidate fails the peer gets its previous endpoint back (the
// original left it at the last, lowest-priority candidate).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/nat/candidate.hpp"

namespace overlayd::net::nat {

using wall_clock = std::chrono::system_clock;

// While a candidate is tried, a handshake initiation goes out this often:
// both sides punching is what opens two NATs to each other.
inline constexpr std::chrono::seconds punch_interval{2};
// Two initiations that cross (each side answers the other's before its own
// answer arrives) leave both with unconfirmed sessions until a retry five
// seconds later (whitepaper 6.4; the kernel and wireguard-go behave the
// same). Where nothing filters, as through a relay, they would always
// cross, so one side (the one with the greater public key) sends its first
// punch this much after its switch.
inline constexpr std::chrono::seconds deferred_punch_delay{1};

class connect_attempt {
public:
  enum class action : std::uint8_t {
    switch_endpoint, // set the peer's endpoint to current() and punch
    switch_quietly,  // set the peer's endpoint to current(); the punch comes later
    punch,           // send a handshake initiation again
    wait,            // ask again later
    succeeded,       // a handshake came after the switch
    failed,          // no candidate worked: restore previous_endpoint()
  };

  // `ordered` as connection_attempt_order gives them; `previous` is the
  // peer's endpoint before the attempt (none: it had none);
  // `defer_first_punch` for the side that lets the other punch first.
  connect_attempt(std::vector<candidate> ordered, std::optional<endpoint> previous,
                  std::chrono::seconds per_candidate, bool defer_first_punch = false);

  // `last_handshake`: the peer's last completed handshake (epoch: never).
  action next(wall_clock::time_point now, wall_clock::time_point last_handshake);

  // The candidate being tried (valid after switch_endpoint, until failed).
  const candidate& current() const { return ordered_[index_]; }
  const std::optional<endpoint>& previous_endpoint() const { return previous_; }
  bool done() const { return done_; }

private:
  std::vector<candidate> ordered_;
  std::optional<endpoint> previous_;
  std::chrono::seconds per_candidate_;
  bool defer_first_punch_;
  std::size_t index_ = 0;
  bool started_ = false;
  bool done_ = false;
  wall_clock::time_point switched_at_{};
  wall_clock::time_point last_punch_{};
};

// The connection type a working endpoint means: through the relay ->
// relayed; one of the peer's host candidates -> direct; anything else (a
// reflexive address, or where the peer roamed to) -> hole-punched.
connection_type classify_connection(const endpoint& working, bool through_relay,
                                    const std::vector<candidate>& advertised);

} // namespace overlayd::net::nat
