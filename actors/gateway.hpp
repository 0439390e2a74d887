// gateway actor: the bridge between the socket's libuv loop and the
// coordinator. The loop thread hands it raw frame bodies; it decodes them,
// asks the coordinator, and hands the encoded answer back to the loop. Several
// requests of one connection may be in flight; each answer carries its id.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <functional>
#include <memory>
#include <string>

#include "actors/coordinator_actor.hpp"
#include "platform/unix_socket_server.hpp"

namespace overlayd {

struct incoming_frame {
  platform::connection_id conn;
  std::string body;
};

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::incoming_frame)

namespace overlayd {

using gateway_actor = caf::typed_actor<caf::reacts_to<incoming_frame>>;

struct gateway_state {
  static inline const char* name = "gateway";
  std::shared_ptr<platform::unix_socket_server> server;
  coordinator_actor coordinator;
  // Runs once the answer to a Shutdown request has been queued.
  std::function<void()> on_shutdown;
};

gateway_actor::behavior_type gateway(gateway_actor::stateful_pointer<gateway_state> self,
                                     std::shared_ptr<platform::unix_socket_server> server,
                                     coordinator_actor coordinator,
                                     std::function<void()> on_shutdown);

// The answer to a frame whose length exceeds the maximum (its body is never
// read, so it goes out as JSON with id 0, and the connection is closed).
std::string oversized_frame_answer(std::uint32_t declared_len);

} // namespace overlayd
