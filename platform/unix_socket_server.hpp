// unix_socket_server: the daemon's listening socket on a libuv loop running on
// its own thread. It only moves bytes: it splits the stream into frames and
// hands each body to a callback, and writes back whatever bytes it is given
// (from any thread). Decoding and dispatch live in actors/gateway.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/base/result.hpp"

namespace overlayd::platform {

using connection_id = std::uint64_t;

struct unix_socket_server_config {
  std::string path;
  // Reading from a connection pauses while this many of its requests are
  // unanswered, so a client that never reads cannot grow our memory.
  std::size_t max_in_flight_per_connection = 4096;
};

struct unix_socket_server_callbacks {
  // A complete frame body arrived (loop thread; keep it short).
  std::function<void(connection_id, std::string body)> on_frame;
  // A frame announced more than the maximum; returns the bytes to send
  // before that connection is closed (loop thread).
  std::function<std::string(connection_id, std::uint32_t declared_len)> on_oversized;
};

class unix_socket_server {
public:
  ~unix_socket_server();

  // Prepares the socket (parent dir, stale socket replaced, mode 0660, group
  // `zlayer` when it exists) and starts listening. Fails when the path
  // cannot be bound or when another live daemon already answers on it.
  static result<std::unique_ptr<unix_socket_server>> bind(unix_socket_server_config config);

  // Starts the loop thread: accepted connections are served from now on.
  void run(unix_socket_server_callbacks callbacks);

  // Sends `bytes` on a connection and, when `close_after`, closes it once
  // they are written. `answers_request` releases one in-flight slot. Safe
  // from any thread; bytes for a closed connection are dropped. When nothing
  // else is pending for the connection the bytes are written at once on the
  // calling thread (an answer then costs no loop wakeup); otherwise, or for
  // what the socket does not take at once, they are queued for the loop.
  void send(connection_id conn, std::string bytes, bool answers_request, bool close_after);

  // Stops accepting, closes every connection and joins the loop thread.
  // Safe from any thread except the loop thread; idempotent.
  void stop();

  const std::string& path() const noexcept;

  struct impl;

private:
  explicit unix_socket_server(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd::platform
