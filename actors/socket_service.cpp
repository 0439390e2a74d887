#include "actors/socket_service.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/gateway.hpp"

namespace overlayd {

struct socket_service::impl {
  std::shared_ptr<platform::unix_socket_server> server;
  gateway_actor gateway;
};

socket_service::socket_service(std::unique_ptr<impl> self) : self_(std::move(self)) {}

socket_service::~socket_service() {
  stop();
}

result<std::unique_ptr<socket_service>>
socket_service::start(node& n, const std::string& path, std::function<void()> on_shutdown) {
  auto bound = platform::unix_socket_server::bind({path});
  if (!bound)
    return bound.err();
  auto self = std::make_unique<impl>();
  self->server = std::move(*bound);
  self->gateway = n.system().spawn(gateway, self->server, n.coordinator(), std::move(on_shutdown));
  gateway_actor gw = self->gateway;
  platform::unix_socket_server_callbacks callbacks;
  callbacks.on_frame = [gw](platform::connection_id conn, std::string body) {
    caf::anon_send(gw, incoming_frame{conn, std::move(body)});
  };
  callbacks.on_oversized = [](platform::connection_id, std::uint32_t declared) {
    return oversized_frame_answer(declared);
  };
  self->server->run(std::move(callbacks));
  return std::unique_ptr<socket_service>(new socket_service(std::move(self)));
}

void socket_service::stop() {
  if (!self_ || !self_->server)
    return;
  self_->server->stop();
  caf::anon_send_exit(self_->gateway, caf::exit_reason::user_shutdown);
  self_->gateway = nullptr;
  self_->server.reset();
}

} // namespace overlayd
