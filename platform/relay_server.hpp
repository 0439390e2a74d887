// relay_server: the built-in relay server of the "ZLayer relay protocol"
// (nat_transport.md 5.3, DECISIONS.md 21) on real UDP sockets. One thread
// polls the control socket and one relay socket per allocation, hands every
// datagram to net::relay::relay_server_state and sends what it answers. It
// wakes at least once a second to expire idle allocations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "net/base/endpoint.hpp"
#include "net/relay/relay_key.hpp"
#include "net/relay/relay_server_state.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

class relay_server {
public:
  using config = net::relay::relay_server_config;

  // Binds the control socket on every address at cfg.listen_port and starts
  // serving. Errors: "relay server: cannot bind port N: ...".
  static result<std::unique_ptr<relay_server>> start(config cfg, net::relay::auth_key key);

  relay_server(const relay_server&) = delete;
  relay_server& operator=(const relay_server&) = delete;
  // Stops the thread and closes every socket.
  ~relay_server();

  // The external IP with the port the control socket actually got.
  net::endpoint bound() const;
  // Safe to call from any thread.
  std::size_t session_count() const;
  std::uint64_t unauthenticated_drops() const;
  // Bytes sent: relayed data and control answers.
  std::uint64_t sent_bytes() const;

private:
  struct impl;
  explicit relay_server(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd::platform
