#include "actors/socket_service.hpp"

#include <caf/actor_system.hpp>

#include "actors/gateway.hpp"

namespace overlayd {

namespace {

void collect_socket_metrics(net::metrics::metric_sink& sink,
                            const platform::unix_socket_server_stats& stats) {
  sink.gauge("overlayd_ipc_connections", "Open connections on the socket.", {},
             static_cast<double>(stats.open.load()));
  sink.counter("overlayd_ipc_connections_accepted_total", "Connections accepted on the socket.",
               {}, stats.accepted.load());
  const char* closed = "overlayd_ipc_connections_closed_total";
  const char* closed_help = "Connections the daemon closed or refused, by reason.";
  sink.counter(closed, closed_help, {{"reason", "over_limit"}}, stats.refused_over_limit.load());
  sink.counter(closed, closed_help, {{"reason", "half_sent_frame"}},
               stats.closed_half_sent.load());
  sink.counter(closed, closed_help, {{"reason", "not_reading"}}, stats.closed_not_reading.load());
  sink.counter(closed, closed_help, {{"reason", "idle"}}, stats.closed_idle.load());
  sink.counter("overlayd_ipc_accept_errors_total", "Failed accepts on the socket.", {},
               stats.accept_errors.load());
}

} // namespace

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
  auto metrics = std::make_shared<request_metrics>();
  self->gate = std::make_unique<gateway>(n.system(), self->server, n.coordinator(),
                                         options.documents, metrics, std::move(on_shutdown));
  // Weak: the registry may outlive the service; the collector then ends.
  std::weak_ptr<platform::unix_socket_server> server = self->server;
  n.metrics().add([metrics, server](net::metrics::metric_sink& sink) {
    auto s = server.lock();
    if (!s)
      return false;
    metrics->collect(sink);
    collect_socket_metrics(sink, s->stats());
    return true;
  });
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
