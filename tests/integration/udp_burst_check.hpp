// A burst of equal UDP datagrams sent in one call with UDP GSO, as QUIC
// stacks send: through a tunnel whose TUN takes UDP segmentation offload it
// enters as one super-packet that overlayd cuts itself (net/packet/
// gso_split), so what arrives shows the cutting is right.
#pragma once

#include <cstddef>
#include <string>

#include "netns.hpp"

namespace overlayd::testing {

struct burst_check {
  std::size_t intact = 0;  // datagrams that arrived whole, each once
  std::size_t damaged = 0; // wrong size or content, or seen twice
};

// Sends `count` (at most 64) datagrams of 1200 bytes from `from_ip` in
// namespace `from` to `to_ip` port 5002 in namespace `to`, in one send.
burst_check udp_burst(const network_namespace& from, const std::string& from_ip,
                      const network_namespace& to, const std::string& to_ip, int count);

} // namespace overlayd::testing
