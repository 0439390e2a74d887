#include "actors/nat_link.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <functional>

#include "actors/ask.hpp"
#include "actors/replies.hpp"

namespace overlayd {

namespace {

const char* const nat_actor_name = "NAT traversal";

// Asks for the actor's status; it comes after everything sent before, and
// is kept as the last status.
void ask_status(nat_link_pointer self, std::function<void(result<msg::response>)> done) {
  ask<msg::response>(self, self->state.nat, nat_actor_name, wait_for::quick,
                     nat_status_request{}, [self, done](result<msg::response> status) {
                       if (status)
                         self->state.nat_last_status = *status;
                       done(std::move(status));
                     });
}

template <class Message>
void send_logged(nat_link_pointer self, Message message) {
  ask<void>(self, self->state.nat, nat_actor_name, wait_for::traversal, std::move(message),
            [](result<void> done) {
              if (!done)
                spdlog::warn("{}", done.error_message());
            });
}

} // namespace

void tell_nat(nat_link_pointer self, nat_configure message) {
  send_logged(self, std::move(message));
}

void tell_nat(nat_link_pointer self, nat_use_device message) {
  send_logged(self, std::move(message));
}

void tell_nat(nat_link_pointer self, nat_peer_candidates message) {
  send_logged(self, std::move(message));
}

void run_nat_tick(nat_link_pointer self, caf::typed_response_promise<msg::response> rp) {
  // The status as the tick starts is what NatStatus answers while it runs.
  ask_status(self, [](const result<msg::response>&) {});
  ++self->state.nat_ticks_in_flight;
  ask<msg::response>(self, self->state.nat, nat_actor_name, wait_for::traversal,
                     nat_tick_request{}, [self, rp](result<msg::response> answer) mutable {
                       --self->state.nat_ticks_in_flight;
                       rp.deliver(answer ? std::move(*answer) : fail(answer.error_message()));
                     });
}

void answer_nat_status(nat_link_pointer self, caf::typed_response_promise<msg::response> rp) {
  if (self->state.nat_ticks_in_flight > 0) {
    rp.deliver(self->state.nat_last_status);
    return;
  }
  ask_status(self, [rp](result<msg::response> status) mutable {
    rp.deliver(status ? std::move(*status) : fail(status.error_message()));
  });
}

} // namespace overlayd
