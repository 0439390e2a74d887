// relay_link: a WireGuard device's way through a relay server (DECISIONS.md
// 21). The allocation is made from the device's own UDP socket, so the relay
// knows the tunnel's NAT mapping and nothing else has to be kept open:
//   - WireGuard datagrams for a destination reached through the relay (a
//     peer's allocation on it) leave wrapped in a Data frame addressed to the
//     relay server;
//   - Data frames from the relay server are unwrapped in place and handed to
//     the engine as if they came from the address the relay names, so
//     replies to that address are wrapped again;
//   - control answers (allocate, permission, refresh) go to the one thread
//     waiting for them, never to the engine, so refreshes and data never
//     compete for a socket (the original's proxy and refresh did).
// Data-plane threads pay one atomic load while no relay is in use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/relay/relay_message.hpp"
#include "net/base/result.hpp"
#include "platform/udp_socket.hpp"

namespace overlayd::platform {

class relay_link {
public:
  // Which relay server datagrams come from and go to, and the key control
  // frames are tagged with; nullopt stops using any relay. Changing the
  // server forgets every relayed destination.
  void use_server(std::optional<net::endpoint> server, const net::relay::auth_key& key);
  std::optional<net::endpoint> server() const;

  // From now on datagrams to `destination` go through the relay.
  void reach_through_relay(const net::endpoint& destination);
  bool reached_through_relay(const net::endpoint& destination) const;

  // -- data plane --

  // When `to` is reached through the relay: the Data frame carrying
  // bytes[0, length) is written to `frame` and the relay server's address
  // is returned; otherwise nullopt and nothing is written.
  std::optional<net::endpoint> wrap(const std::uint8_t* bytes, std::size_t length,
                                    const net::endpoint& to,
                                    std::vector<std::uint8_t>& frame) const;

  enum class verdict : std::uint8_t {
    not_relay, // not from the relay server: the engine's
    taken,     // a control answer (or junk from the relay): not the engine's
    unwrapped, // a Data frame: the datagram inside now starts at data; length, from are its
  };
  // Looks at one received datagram.
  verdict take(std::uint8_t* data, std::size_t& length, net::endpoint& from);

  // -- control --

  // Sends `request` to the relay server through `socket` and waits up to
  // `timeout` for an authenticated answer of one of the `answers` types.
  // One exchange at a time; the relay's answers carry no transaction id.
  // Errors name the request ("allocate_request: no authenticated answer
  // within 3000 ms (...)"); the caller knows which relay it asked.
  result<net::relay::message> exchange(udp_socket& socket, const net::relay::message& request,
                                       std::initializer_list<net::relay::message_type> answers,
                                       std::chrono::milliseconds timeout);

private:
  // Sources learnt from Data frames are remembered so replies find their
  // way back; bounded so a flood of forged frames cannot grow it.
  static constexpr std::size_t max_destinations = 4096;

  std::atomic<bool> in_use_{false};
  mutable std::shared_mutex lock_;
  std::optional<net::endpoint> server_;
  net::relay::auth_key key_;
  std::set<net::endpoint> destinations_;

  std::mutex exchange_lock_; // one exchange at a time
  std::mutex answer_lock_;
  std::condition_variable answered_;
  std::vector<net::relay::message_type> awaited_;
  std::optional<net::relay::message> answer_;
};

} // namespace overlayd::platform
