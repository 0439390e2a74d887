// uapi_transfer: each peer's transfer counters, read from a device's UAPI
// socket as `wg show` reads them (get=1). The socket's answer also holds
// the device's private key; it is skipped on parse and never kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace overlayd::app {

struct transfer {
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
};

// By the peer's hex public key (as the status answer gives it). Empty when
// the socket cannot be read (not root, another UAPI dir).
std::map<std::string, transfer> read_transfer(const std::string& uapi_dir,
                                              const std::string& interface);

// The parse alone, for tests: a UAPI get answer's peers and their counters.
std::map<std::string, transfer> parse_transfer(const std::string& get_answer);

// One request (get=1 or set=1 and its lines, ending in a blank line) on the
// UAPI socket at `path`, and the answer up to the blank line after its
// errno=. Empty when the socket cannot be reached; cut short when no byte
// comes for `patience`.
std::string uapi_exchange(const std::string& path, const std::string& request,
                          std::chrono::milliseconds patience);

} // namespace overlayd::app
