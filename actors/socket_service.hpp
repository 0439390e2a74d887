// socket_service: serves a node on the Unix socket of the contract (the
// listening socket, its loop thread and the gateway).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/node.hpp"
#include "messages/document_limits.hpp"
#include "platform/unix_socket_server.hpp"

namespace overlayd {

struct socket_options {
  std::string path;
  platform::connection_limits connections;
  msg::document_limits documents = msg::request_document_limits;
};

class socket_service {
public:
  ~socket_service();

  // Binds `options.path` and starts answering. `on_shutdown` runs (on an
  // actor thread) once the answer to a Shutdown request has been queued.
  static result<std::unique_ptr<socket_service>>
  start(node& n, socket_options options, std::function<void()> on_shutdown);

  // Writes what is queued, closes every connection, stops the loop thread.
  void stop();

  // The connection cap in force (unix_socket_server::connection_cap).
  std::size_t connection_cap() const;

private:
  struct impl;
  explicit socket_service(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd
