// relay_client: this node's allocation on a relay server (nat_transport.md
// 5.4, made to carry traffic as DECISIONS.md 21 says). It speaks through an
// exchange function, normally the WireGuard device's own socket
// (wg_device::relay_exchange), so the allocation belongs to the tunnel's NAT
// mapping; tests may pass a plain socket's.
//
// Unlike the original client it creates permissions (for the peers'
// allocations) and learns from a failed refresh that the allocation is gone,
// so the next NatTick allocates again.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>

#include "net/base/endpoint.hpp"
#include "net/relay/relay_message.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

class relay_client {
public:
  using exchange_function = std::function<result<net::relay::message>(
    const net::relay::message&, std::initializer_list<net::relay::message_type>,
    std::chrono::milliseconds)>;

  relay_client(exchange_function exchange, std::chrono::milliseconds answer_timeout);

  // Asks for an allocation (the relay answers an existing one again); the
  // public address peers send to. Errors: "allocation rejected: <reason>",
  // or the exchange's (no answer: unreachable, or another credential).
  result<net::endpoint> allocate(const std::string& username);
  // Lets datagrams from `peer`'s IP reach this allocation; each IP is asked
  // for once per allocation.
  result<void> permit(const net::ip_address& peer);
  // Extends the allocation. A relay that no longer answers loses it.
  result<void> refresh();
  // Allocation and permissions dropped at the relay (no answer awaited).
  void deallocate();

  // The relay address while an allocation is held.
  std::optional<net::endpoint> relay_address() const;

private:
  exchange_function exchange_;
  std::chrono::milliseconds timeout_;
  std::optional<net::relay::allocate_response> allocation_;
  std::set<net::ip_address> permitted_;
};

} // namespace overlayd::platform
