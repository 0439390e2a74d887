// gateway: the bridge between the socket's libuv loop and the coordinator.
// The loop thread decodes each frame and sends the request straight to the
// coordinator; the answer is encoded and handed to the server on whichever
// thread delivers it (usually the coordinator's worker), and the server
// writes it at once when the connection is idle. So a request costs one
// actor activation and wakes the loop thread once, on its way in. A body
// that does not decode is answered by the loop thread itself. Several
// requests of one connection may be in flight; each answer carries its id.
//
// A body larger than inline_decode_bytes is decoded on a thread of its own
// instead (the server holds that connection's later frames until it is
// done, so order is kept and each connection has at most one such body
// waiting): a client sending maximal frames then never delays another
// client's small request. Decoded trees are bounded by document_limits.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "actors/coordinator_actor.hpp"
#include "actors/request_metrics.hpp"
#include "actors/serial_worker.hpp"
#include "messages/codec.hpp"
#include "platform/unix_socket_server.hpp"

namespace overlayd {

// Frames up to this size decode on the loop thread (tens of microseconds).
constexpr std::size_t inline_decode_bytes = 64 * 1024;

class gateway {
public:
  // `on_shutdown` runs (on the thread that delivered the answer) once the
  // answer to a Shutdown request has been queued.
  gateway(caf::actor_system& system, std::shared_ptr<platform::unix_socket_server> server,
          coordinator_actor coordinator, msg::document_limits limits,
          std::shared_ptr<request_metrics> metrics, std::function<void()> on_shutdown);
  // Answers arriving later are dropped.
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  // Loop thread: one complete frame body of a connection.
  platform::frame_handling on_frame(platform::connection_id conn, std::string body);

private:
  // A request the coordinator has not answered yet.
  struct waiting_request {
    platform::connection_id conn;
    std::uint64_t id;
    msg::body_codec codec;
    bool is_shutdown;
    std::size_t op; // index in msg::request, for the metrics
    std::chrono::steady_clock::time_point arrived;
    std::chrono::steady_clock::time_point deadline;
  };

  // Loop or decode thread.
  void decode_and_dispatch(platform::connection_id conn, const std::string& body);
  void on_reply(caf::mailbox_element& reply); // any thread
  void answer(const waiting_request& request, const msg::response& r);
  void fail(const waiting_request& request, const caf::error& e);
  void sweep();

  std::shared_ptr<platform::unix_socket_server> server_;
  coordinator_actor coordinator_;
  msg::document_limits limits_;
  std::shared_ptr<request_metrics> metrics_;
  std::function<void()> on_shutdown_;
  // The coordinator answers to this actor, which runs nothing itself: each
  // message it gets is passed to on_reply on the sender's thread.
  caf::actor companion_;
  // Guards waiting_ and the companion's request ids (both the loop and
  // the decode thread make them).
  std::mutex mutex_;
  // By request message id; an entry leaves when answered, by the
  // coordinator or by the sweep (a late answer then finds nothing).
  std::unordered_map<std::uint64_t, waiting_request> waiting_;
  // Last: stopped first, before what its tasks use.
  std::unique_ptr<serial_worker> decoder_;
};

// The answer to a frame whose length exceeds the maximum (its body is never
// read, so it goes out as JSON with id 0, and the connection is closed).
std::string oversized_frame_answer(std::uint32_t declared_len);

// The answer a connection over the limit gets before it is closed (JSON,
// id 0).
std::string refused_connection_answer(std::size_t max_connections);

} // namespace overlayd
