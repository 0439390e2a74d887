// A bulk TCP stream between two namespaces whose every byte is checked on
// arrival: the proof that what the tunnel merges, splits and coalesces on
// the way (GSO, GRO, TSO super-packets) reaches the application intact.
// TCP's own checksum cannot show this: a merged packet's checksum is
// recomputed by the kernel over whatever the merge put together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "netns.hpp"

namespace overlayd::testing {

struct stream_check {
  std::size_t received = 0; // bytes the receiver read before EOF (or failure)
  bool identical = false;   // exactly the bytes sent, in order, and all of them
  std::string failure;      // what went wrong, if anything
};

// Sends `bytes` of a pseudo-random stream from namespace `from` to a
// listener on `address`:`port` (IPv4 or IPv6) in namespace `to`.
stream_check stream_over_tcp(const network_namespace& from, const network_namespace& to,
                             const std::string& address, std::uint16_t port, std::size_t bytes);

} // namespace overlayd::testing
