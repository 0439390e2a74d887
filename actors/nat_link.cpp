#include "actors/nat_link.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/replies.hpp"

namespace overlayd {

namespace {

const char* const nat_actor_name = "NAT traversal";

// Each answer of the actor is also its latest status.
void refresh_status(nat_link_pointer self) {
  if (self->state.nat_in_flight > 0)
    return; // it would wait behind them; the next one refreshes
  ++self->state.nat_in_flight;
  ask<msg::response>(self, self->state.nat, nat_actor_name, wait_for::quick,
                     nat_status_request{}, [self](result<msg::response> status) {
                       --self->state.nat_in_flight;
                       if (status)
                         self->state.nat_last_status = std::move(*status);
                     });
}

template <class Message>
void send_counted(nat_link_pointer self, Message message) {
  ++self->state.nat_in_flight;
  ask<void>(self, self->state.nat, nat_actor_name, wait_for::traversal, std::move(message),
            [self](result<void> done) {
              --self->state.nat_in_flight;
              if (!done)
                spdlog::warn("{}", done.error_message());
              refresh_status(self);
            });
}

} // namespace

void tell_nat(nat_link_pointer self, nat_configure message) {
  send_counted(self, std::move(message));
}

void tell_nat(nat_link_pointer self, nat_use_device message) {
  send_counted(self, std::move(message));
}

void tell_nat(nat_link_pointer self, nat_peer_candidates message) {
  send_counted(self, std::move(message));
}

void run_nat_tick(nat_link_pointer self, caf::typed_response_promise<msg::response> rp) {
  ++self->state.nat_in_flight;
  ask<msg::response>(self, self->state.nat, nat_actor_name, wait_for::traversal,
                     nat_tick_request{}, [self, rp](result<msg::response> answer) mutable {
                       --self->state.nat_in_flight;
                       rp.deliver(answer ? std::move(*answer) : fail(answer.error_message()));
                       refresh_status(self);
                     });
}

void answer_nat_status(nat_link_pointer self, caf::typed_response_promise<msg::response> rp) {
  if (self->state.nat_in_flight > 0) {
    rp.deliver(self->state.nat_last_status);
    return;
  }
  ++self->state.nat_in_flight;
  ask<msg::response>(self, self->state.nat, nat_actor_name, wait_for::quick,
                     nat_status_request{}, [self, rp](result<msg::response> status) mutable {
                       --self->state.nat_in_flight;
                       if (!status) {
                         rp.deliver(fail(status.error_message()));
                         return;
                       }
                       self->state.nat_last_status = *status;
                       rp.deliver(std::move(*status));
                     });
}

} // namespace overlayd
