// dns_server: the overlay DNS responder's sockets (UDP and TCP per listen
// address) and its forwarder to upstreams, on one libuv loop of its own
// thread. Answers come from net/dns/query_handler over the zone snapshot
// last published: the dns actor publishes a new one on each change and
// queries never pass through an actor mailbox.
//
// UDP is read with recvmmsg (libuv's UV_UDP_RECVMMSG) and the answers of one
// batch go out in one sendmmsg. TCP is RFC 7766 framing (2-byte length),
// pipelined, closed after 30 s idle. Forwarding: the query goes to the
// upstreams in turn, 2 s each, 2 attempts (mechanics.md 7.13), over UDP
// (dns_forwarder.hpp).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"
#include "net/dns/query_handler.hpp"
#include "net/dns/zone.hpp"
#include "platform/dns_forwarder.hpp"

namespace overlayd::platform {

// Queries by what became of them (the `result` label of the metrics),
// shared with the metrics collector so that it outlives the server.
struct dns_query_counters {
  std::array<std::atomic<std::uint64_t>, net::dns::outcome_count> by_outcome{};

  void add(net::dns::outcome o) noexcept {
    by_outcome[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t of(net::dns::outcome o) const noexcept {
    return by_outcome[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
  }
};

struct dns_server_options {
  dns_forwarding_policy forwarding; // no upstreams: out-of-zone queries are REFUSED
  std::chrono::milliseconds tcp_idle_timeout{30'000};
  std::size_t max_tcp_connections = 1024;
  std::shared_ptr<dns_query_counters> counters = std::make_shared<dns_query_counters>();
};

class dns_server {
public:
  static result<std::unique_ptr<dns_server>> start(dns_server_options options,
                                                   net::dns::zone_pointer first);
  ~dns_server(); // closes every socket and joins the thread

  // Any thread; the next query reads it.
  void publish(net::dns::zone_pointer zone);
  net::dns::zone_pointer current_zone() const;

  // Binds UDP and TCP at `at` on the caller's thread, so that an address
  // in use is reported at once, then serves them. `freebind`: the address
  // need not exist yet (the overlay device's, set up just before). Answers
  // the address bound (its port when `at` asked for 0).
  result<net::endpoint> listen(const net::endpoint& at, bool freebind);
  // Returns once the sockets are closed, so that the address can be bound
  // again at once (the overlay IP after a teardown and a new setup).
  void stop_listening(const net::endpoint& at);

  struct impl;

private:
  explicit dns_server(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd::platform
