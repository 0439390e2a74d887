// uapi_transfer: each peer's transfer counters, read from a device's UAPI
// socket as `wg show` reads them (get=1). The socket's answer also holds
// the device's private key; it is skipped on parse and never kept.
#pragma once

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

} // namespace overlayd::app
