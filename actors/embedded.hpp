// The embedding API: run overlayd's actor system inside another program and
// call any request of the contract directly, without the socket.
//
//   auto daemon = overlayd::embedded_daemon::start({"/var/lib/myapp/overlay"});
//   auto status = (*daemon)->call(overlayd::msg::status{}).get();
//
// Only the contract types (messages/), host_access.hpp and this header are
// needed.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>

#include "actors/host_access.hpp"
#include "messages/requests.hpp"
#include "messages/responses.hpp"
#include "net/base/result.hpp"

namespace overlayd {

struct embedded_options {
  std::string data_dir;        // state file lives here; created if missing
  unsigned worker_threads = 0; // 0: one per core
  bool offloads = true;        // WireGuard devices with TUN offloads and UDP GSO/GRO
  // The host it changes: fakes, scratch directories and a namespace of the
  // caller's choosing, or (by default) the real machine.
  host_access host;
};

class embedded_daemon {
public:
  ~embedded_daemon(); // stops the actor system (no host teardown: send shutdown for that)

  static result<std::unique_ptr<embedded_daemon>> start(embedded_options options);

  // The answer arrives in the future; errors of the request are an
  // error_result response, never an exception.
  std::future<msg::response> call(msg::request request);

  // The callback runs on an actor thread; keep it short.
  void call(msg::request request, std::function<void(msg::response)> done);

private:
  struct impl;
  explicit embedded_daemon(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd
