// uapi_server: the control socket of one WireGuard device,
// <uapi dir>/<interface>.sock, speaking the cross-platform userspace
// protocol (net/wireguard/uapi_protocol.hpp) so the stock `wg` tool works
// against our devices. It serves on its owner's thread: the owner polls
// fd() and calls serve_one() when it is readable.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "net/base/result.hpp"
#include "net/base/unique_fd.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd::platform {

class uapi_server {
public:
  // Answers one request (the whole text to write back).
  using handler = std::function<std::string(const net::wg::uapi_request&)>;

  uapi_server() = default;
  uapi_server(uapi_server&& other) noexcept;
  uapi_server& operator=(uapi_server&& other) noexcept;
  uapi_server(const uapi_server&) = delete;
  uapi_server& operator=(const uapi_server&) = delete;
  ~uapi_server(); // closes and removes the socket file

  // Creates the directory, replaces a stale socket file, listens (0600).
  static result<uapi_server> listen(const std::string& directory, const std::string& interface);

  int fd() const noexcept { return fd_.get(); }
  const std::string& path() const noexcept { return path_; }

  // Accepts one connection and answers its requests until the client
  // closes. A client that stalls is dropped after `patience`, so a stuck
  // `wg` can never hang the device's control thread.
  void serve_one(const handler& handle,
                 std::chrono::milliseconds patience = std::chrono::milliseconds(1000));

  void close() noexcept;

private:
  unique_fd fd_;
  std::string path_;
};

} // namespace overlayd::platform
