// relay_server_state: what the relay server decides, without sockets or a
// clock (nat_transport.md 5.3, DECISIONS.md 21). The platform server feeds
// it every datagram with the time, and it answers with what to send, which
// relay sockets to close and what happened (for logs). Allocations are named
// to the platform by the port of their relay socket.
//
// Where it departs from the original on purpose:
//  * a client that allocates again gets its existing allocation back rather
//    than "allocation already exists", so a lost response or a restarted
//    client behind the same NAT mapping is not locked out;
//  * data addressed to another allocation's relay address is delivered
//    inside the server, so relaying needs no hairpin NAT;
//  * allocations expire when idle, a refresh is capped at the maximum
//    lifetime and a refresh of 0 removes the allocation (as TURN does);
//  * an allocation holds at most max_permissions peer IPs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/relay/relay_key.hpp"
#include "net/relay/relay_message.hpp"

namespace overlayd::net::relay {

inline constexpr std::size_t default_max_sessions = 100;
// The original has no limit; this keeps one client from growing the
// server's memory without bound.
inline constexpr std::size_t max_permissions = 64;

struct relay_server_config {
  std::uint16_t listen_port = 0; // 0: an ephemeral port (used by the platform server)
  endpoint external_addr;        // its IP is the IP of every relay address
  std::size_t max_sessions = default_max_sessions;                  // 0 reads as 100
  std::chrono::seconds max_lifetime{default_lifetime_seconds};      // 0 reads as 600 s
};

class relay_server_state {
public:
  using time_point = std::chrono::steady_clock::time_point;
  // Binds a new relay socket and returns its port; nullopt when it cannot.
  using bind_relay_port = std::function<std::optional<std::uint16_t>()>;

  struct outgoing {
    std::optional<std::uint16_t> via_allocation_port; // nullopt: the control socket
    endpoint to;
    std::vector<std::uint8_t> bytes;
  };

  // Something worth a log line. `detail` is a static text and never holds
  // key, credential or tag bytes.
  struct event {
    enum class kind {
      allocated,   // a new allocation
      reallocated, // an owner allocated again and got its allocation back
      removed,     // by deallocate or a refresh of 0 (detail says which)
      expired,     // idle for its lifetime
      refused,     // allocate_error sent (detail is the reason)
      dropped,     // a datagram ignored (detail says why)
    };
    kind what = kind::dropped;
    endpoint client;     // the datagram's sender, or the allocation's owner
    endpoint relay_addr; // the allocation's, when there is one
    const char* detail = "";
  };

  struct reaction {
    std::vector<outgoing> sends;
    std::vector<std::uint16_t> closed_ports; // relay sockets to close
    std::vector<event> events;
  };

  relay_server_state(relay_server_config config, auth_key key);

  // A datagram on the control socket from `from`.
  reaction on_control(const endpoint& from, const std::uint8_t* bytes, std::size_t length,
                      time_point now, const bind_relay_port& bind);
  // A datagram on the relay socket bound to `port`, from a peer.
  reaction on_allocation(std::uint16_t port, const endpoint& from, const std::uint8_t* bytes,
                         std::size_t length);
  // Removes every allocation idle for its lifetime by `now`.
  reaction expire(time_point now);

  const relay_server_config& config() const noexcept { return config_; }
  std::size_t session_count() const noexcept { return allocations_.size(); }
  std::uint64_t unauthenticated_drops() const noexcept { return unauthenticated_drops_; }

private:
  struct allocation {
    allocation_id id{};
    endpoint client;
    endpoint relay_addr; // (external IP, port of its relay socket)
    std::vector<ip_address> permissions;
    std::chrono::seconds lifetime{0};
    time_point last_activity{};
  };

  void on_allocate(const endpoint& from, time_point now, const bind_relay_port& bind,
                   reaction& r);
  void on_permission(const endpoint& from, const permission_request& m, reaction& r);
  void on_refresh(const endpoint& from, const refresh_request& m, time_point now, reaction& r);
  void on_deallocate(const endpoint& from, const deallocate_request& m, reaction& r);
  void on_client_data(const endpoint& from, const data_message& m, time_point now, reaction& r);

  // The allocation `id` when `from` owns it; otherwise records the drop.
  allocation* owned(const allocation_id& id, const endpoint& from, reaction& r);
  allocation* allocation_at(const endpoint& relay_addr);
  allocation_id fresh_id() const;
  void reply(const endpoint& to, const message& m, reaction& r) const;
  void remove(const allocation_id& id, event::kind why, const char* detail, reaction& r);
  static void drop(const endpoint& from, const char* why, reaction& r);

  relay_server_config config_;
  auth_key key_;
  std::map<allocation_id, allocation> allocations_;
  std::map<endpoint, allocation_id> by_client_;
  std::map<std::uint16_t, allocation_id> by_port_;
  std::uint64_t unauthenticated_drops_ = 0;
};

} // namespace overlayd::net::relay
