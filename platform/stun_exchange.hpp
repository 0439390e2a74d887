// stun_exchange: STUN binding requests sent from a WireGuard device's own
// UDP socket, so the mapping a NAT reports is the tunnel's (nat_transport.md
// 4.3-4.4; the original probed from another socket and had to assume port
// preservation). The device's UDP reader hands every STUN datagram here;
// the asking thread waits for the answer to its transaction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/nat/stun_message.hpp"
#include "net/base/result.hpp"
#include "platform/udp_socket.hpp"

namespace overlayd::platform {

class stun_exchange {
public:
  // Sends a binding request to `server` through `socket` and waits for the
  // answer; the reflexive address it reports, or why not.
  result<net::endpoint> ask(udp_socket& socket, const net::endpoint& server,
                            std::chrono::milliseconds timeout);

  // From the UDP reader: true when the datagram was a STUN answer someone
  // waits for (it is taken), false for anything else.
  bool take(const std::uint8_t* data, std::size_t length);

private:
  std::mutex lock_;
  std::condition_variable answered_;
  // Transaction id -> the answer, empty until it arrives.
  std::map<net::nat::stun_transaction_id, std::vector<std::uint8_t>> waiting_;
};

} // namespace overlayd::platform
