// socket_service: serves a node on the Unix socket of the contract (the
// listening socket, its loop thread and the gateway).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/node.hpp"

namespace overlayd {

class socket_service {
public:
  ~socket_service();

  // Binds `path` and starts answering. `on_shutdown` runs (on an actor
  // thread) once the answer to a Shutdown request has been queued.
  static result<std::unique_ptr<socket_service>>
  start(node& n, const std::string& path, std::function<void()> on_shutdown);

  // Writes what is queued, closes every connection, stops the loop thread.
  void stop();

private:
  struct impl;
  explicit socket_service(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd
