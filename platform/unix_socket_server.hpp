// unix_socket_server: the daemon's listening socket on a libuv loop running on
// its own thread. It only moves bytes: it splits the stream into frames and
// hands each body to a callback, and writes back whatever bytes it is given
// (from any thread). Decoding and dispatch live in actors/gateway.
//
// No client can make it hold unbounded memory or starve another client
// (issue 13): connections are capped, a connection stops being read while
// its answers pile up unread or too many of its requests are unanswered,
// large frames share a byte budget, and a half-sent frame or an unread
// answer that makes no progress is closed after a deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/base/result.hpp"

namespace overlayd::platform {

using connection_id = std::uint64_t;

// What one client may make the server hold, and for how long (README
// "Limits"; overlayd's flags of the same names change them).
struct connection_limits {
  // Open connections at most; further ones get an error frame and are
  // closed. Also kept `fd_reserve` below the descriptor limit, so that
  // clients can never take the descriptors a device setup needs.
  std::size_t max_connections = 1024;
  std::size_t fd_reserve = 256;
  // Reading from a connection pauses while this many of its requests are
  // unanswered (a pipelining client), or while this many bytes of its
  // answers are not yet written (a client that does not read); it resumes
  // at half of each.
  std::size_t max_in_flight = 4096;
  std::size_t pause_unwritten_bytes = 1 << 20;
  // A connection whose unwritten answers exceed this, or whose answers
  // make no progress for write_stall_timeout, is closed.
  std::size_t max_unwritten_bytes = 64 << 20;
  std::chrono::milliseconds write_stall_timeout{30000};
  // A frame begun and not completed within this time is closed (slowloris).
  std::chrono::milliseconds partial_frame_timeout{30000};
  // 0: never. An idle connection is kept by default: the main daemon holds
  // one connection and does not reconnect (ipc_contract.md 1.7).
  std::chrono::milliseconds idle_timeout{0};
  // A frame declaring more than large_frame_bytes reserves its size from
  // large_frame_budget before its body is read (or waits, not read, until
  // it can), and holds it until its handler is done with it: so many
  // clients sending maximal frames at once hold at most this much.
  std::size_t large_frame_bytes = 64 << 10;
  std::size_t large_frame_budget = 64 << 20;
};

struct unix_socket_server_config {
  std::string path;
  connection_limits limits;
};

// What a frame handler did with a body.
enum class frame_handling {
  done,     // the next frame of the connection may be handed on
  deferred, // taken elsewhere: later frames of that connection wait for
            // frame_finished(), so they stay in order
};

struct unix_socket_server_callbacks {
  // A complete frame body arrived (loop thread; keep it short).
  std::function<frame_handling(connection_id, std::string body)> on_frame;
  // A frame announced more than the maximum; returns the bytes to send
  // before that connection is closed (loop thread).
  std::function<std::string(connection_id, std::uint32_t declared_len)> on_oversized;
  // A connection over max_connections: the bytes to send before it is
  // closed (loop thread).
  std::function<std::string(std::size_t max_connections)> on_refused;
};

// Counts of what the limits did, for tests, logs and metrics.
struct unix_socket_server_stats {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused_over_limit{0};
  std::atomic<std::uint64_t> accept_errors{0};
  std::atomic<std::uint64_t> closed_half_sent{0};
  std::atomic<std::uint64_t> closed_not_reading{0};
  std::atomic<std::uint64_t> closed_idle{0};
  std::atomic<std::size_t> open{0};
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
  // they are written. `answers_request` marks one request answered. Safe
  // from any thread; bytes for a closed connection are dropped. When nothing
  // else is pending for the connection the bytes are written at once on the
  // calling thread (an answer then costs no loop wakeup); otherwise, or for
  // what the socket does not take at once, they are queued for the loop and
  // count as unwritten until the socket took them.
  void send(connection_id conn, std::string bytes, bool answers_request, bool close_after);

  // A deferred frame's handler is done with it: its budget is released and
  // the connection's next frames are handed on. Any thread.
  void frame_finished(connection_id conn);

  // Stops accepting, closes every connection and joins the loop thread.
  // Safe from any thread except the loop thread; idempotent.
  void stop();

  const std::string& path() const noexcept;
  // The connection cap in force: max_connections, or less when the
  // descriptor limit minus fd_reserve is lower (as of the last accept).
  std::size_t connection_cap() const noexcept;
  const unix_socket_server_stats& stats() const noexcept;

  struct impl;

private:
  explicit unix_socket_server(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd::platform
