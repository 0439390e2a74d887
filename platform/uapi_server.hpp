// uapi_server: the control socket of one WireGuard device,
// <uapi dir>/<interface>.sock, speaking the cross-platform userspace
// protocol (net/wireguard/uapi_protocol.hpp) so the stock `wg` tool works
// against our devices.
//
// It serves on a thread of its own, every client at once: a `wg` that
// stalls, or a script that opens many connections, only ever waits for
// itself. The device's control thread (handshakes, timers) never touches
// this socket. Each client is bounded: its request by the reader's
// max_request_bytes, its time by an idle deadline (no byte in or out for
// that long: closed), and the number of clients served at once by a cap
// (the rest wait in the listen backlog).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/base/result.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd::platform {

struct uapi_server_limits {
  std::size_t max_clients = 64;
  std::chrono::milliseconds idle_timeout{2000};
};

class uapi_server {
public:
  // Answers one request (the whole text to write back). Runs on the
  // server's thread; it must be safe to call beside the device's others.
  using handler = std::function<std::string(const net::wg::uapi_request&)>;

  // Creates the directory, replaces a stale socket file, listens (0600)
  // and starts serving.
  static result<std::unique_ptr<uapi_server>> start(const std::string& directory,
                                                   const std::string& interface,
                                                   handler handle,
                                                   uapi_server_limits limits = {});
  ~uapi_server(); // stops serving, closes every client, removes the socket file

  uapi_server(const uapi_server&) = delete;
  uapi_server& operator=(const uapi_server&) = delete;

  const std::string& path() const noexcept;

private:
  struct impl;
  explicit uapi_server(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd::platform
