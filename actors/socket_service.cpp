#include "actors/socket_service.hpp"

#include <caf/actor_system.hpp>

#include "actors/gateway.hpp"

namespace overlayd {

struct socket_service::impl {
  std::shared_ptr<platform::unix_socket_server> server;
  std::unique_ptr<gateway> gate;
};

socket_service::socket_service(std::unique_ptr<impl> self) : self_(std::move(self)) {}

socket_service::~socket_service() {
  stop();
}

result<std::unique_ptr<socket_service>>
socket_service::start(node& n, socket_options options, std::function<void()> on_shutdown) {
  auto bound = platform::unix_socket_server::bind({options.path, options.connections});
  if (!bound)
    return bound.err();
  auto self = std::make_unique<impl>();
  self->server = std::move(*bound);
  self->gate = std::make_unique<gateway>(n.system(), self->server, n.coordinator(),
                                         options.documents, std::move(on_shutdown));
  // The gateway outlives the loop thread (stop() joins it first).
  gateway* gate = self->gate.get();
  platform::unix_socket_server_callbacks callbacks;
  callbacks.on_frame = [gate](platform::connection_id conn, std::string body) {
    return gate->on_frame(conn, std::move(body));
  };
  callbacks.on_oversized = [](platform::connection_id, std::uint32_t declared) {
    return oversized_frame_answer(declared);
  };
  callbacks.on_refused = refused_connection_answer;
  self->server->run(std::move(callbacks));
  return std::unique_ptr<socket_service>(new socket_service(std::move(self)));
}

std::size_t socket_service::connection_cap() const {
  return self_->server ? self_->server->connection_cap() : 0;
}

void socket_service::stop() {
  if (!self_ || !self_->server)
    return;
  self_->server->stop();
  self_->gate.reset();
  self_->server.reset();
}

} // namespace overlayd
