#include "actors/embedded.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/node.hpp"

namespace overlayd {

namespace {

void carry_request(caf::event_based_actor* self, coordinator_actor coordinator,
                   msg::request request, std::function<void(msg::response)> done) {
  ask<msg::response>(self, coordinator, "the coordinator", wait_for::coordinator,
                     std::move(request), [done](result<msg::response> r) {
                       done(r ? std::move(*r) : msg::make_error_response(r.error_message()));
                     });
}

} // namespace

struct embedded_daemon::impl {
  std::unique_ptr<node> running;
};

embedded_daemon::embedded_daemon(std::unique_ptr<impl> self) : self_(std::move(self)) {}

embedded_daemon::~embedded_daemon() = default;

result<std::unique_ptr<embedded_daemon>> embedded_daemon::start(embedded_options options) {
  auto started = node::start({std::move(options.data_dir), options.worker_threads,
                              options.offloads, std::move(options.host), 0, {}});
  if (!started)
    return started.err();
  auto self = std::make_unique<impl>();
  self->running = std::move(*started);
  return std::unique_ptr<embedded_daemon>(new embedded_daemon(std::move(self)));
}

void embedded_daemon::call(msg::request request, std::function<void(msg::response)> done) {
  // A short-lived actor carries the request so that the caller's thread
  // never blocks and the reply finds its way back. What it needs goes in as
  // spawn arguments, not captures: CAF 0.17 dereferences a null argument
  // tuple for a function actor spawned without arguments.
  self_->running->system().spawn(carry_request, self_->running->coordinator(),
                                 std::move(request), std::move(done));
}

std::future<msg::response> embedded_daemon::call(msg::request request) {
  auto promise = std::make_shared<std::promise<msg::response>>();
  auto future = promise->get_future();
  call(std::move(request), [promise](msg::response r) { promise->set_value(std::move(r)); });
  return future;
}

} // namespace overlayd
