#include "actors/gateway.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "messages/codec.hpp"

namespace overlayd {

namespace {

std::string framed(const std::string& body) {
  std::string out;
  msg::append_frame(out, body);
  return out;
}

} // namespace

std::string oversized_frame_answer(std::uint32_t declared_len) {
  auto body = msg::encode_response(
    0,
    msg::make_error_response("frame too large: " + std::to_string(declared_len)
                             + " bytes (max " + std::to_string(msg::max_frame_bytes) + ")"),
    msg::body_codec::json);
  return framed(body);
}

gateway_actor::behavior_type gateway(gateway_actor::stateful_pointer<gateway_state> self,
                                     std::shared_ptr<platform::unix_socket_server> server,
                                     coordinator_actor coordinator,
                                     std::function<void()> on_shutdown) {
  self->state.server = std::move(server);
  self->state.coordinator = std::move(coordinator);
  self->state.on_shutdown = std::move(on_shutdown);
  return {
    [self](incoming_frame& in) {
      auto& st = self->state;
      auto codec = msg::detect_codec(in.body);
      auto decoded = msg::decode_frame(in.body, codec);
      if (!decoded.decoded) {
        // DECISIONS.md 2: answer with what was wrong; the connection stays.
        spdlog::warn("connection {}: undecodable frame: {}", in.conn,
                     msg::loggable_decode_error(decoded.error));
        st.server->send(in.conn,
                        framed(msg::encode_response(
                          decoded.id, msg::make_error_response(decoded.error), codec)),
                        true, false);
        return;
      }
      auto* request = std::get_if<msg::request_frame>(&*decoded.decoded);
      if (request == nullptr) {
        // A response or event sent to the server is ignored (contract 1.6).
        spdlog::warn("connection {}: ignoring a non-request frame", in.conn);
        st.server->send(in.conn, {}, true, false);
        return;
      }
      auto id = request->id;
      auto conn = in.conn;
      bool is_shutdown = std::holds_alternative<msg::shutdown>(request->request);
      self->request(st.coordinator, wait_for::coordinator, std::move(request->request))
        .then(
          [self, conn, id, codec, is_shutdown](msg::response& r) {
            bool exiting = is_shutdown && !msg::is_error(r);
            auto& st = self->state;
            st.server->send(conn, framed(msg::encode_response(id, r, codec)), true, exiting);
            if (exiting && st.on_shutdown)
              st.on_shutdown();
          },
          [self, conn, id, codec](caf::error& e) {
            auto message = from_caf_error(e, "the coordinator", wait_for::coordinator).message;
            spdlog::error("connection {}: request {}: {}", conn, id, message);
            self->state.server->send(
              conn, framed(msg::encode_response(id, msg::make_error_response(message), codec)),
              true, false);
          });
    },
  };
}

} // namespace overlayd
