// ask(): one callback for every outcome of a request between actors, with
// codes callers branch on and messages that name who did not answer.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "actors/ask.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::result<int>)

using overlayd::error_code;
using overlayd::result;

namespace {

// Multiplies a positive number by its factor; refuses others with a result
// error; never answers 0 (it keeps the promise).
using doubler_actor = caf::typed_actor<caf::replies_to<int>::with<result<int>>>;

struct doubler_state {
  std::vector<caf::typed_response_promise<result<int>>> pending;
};

// (A spawn argument: CAF 0.17 trips over a function actor spawned without.)
doubler_actor::behavior_type doubler(doubler_actor::stateful_pointer<doubler_state> self,
                                     int factor) {
  return {
    [self, factor](int n) -> caf::result<result<int>> {
      if (n == 0) {
        auto rp = self->make_response_promise<result<int>>();
        self->state.pending.push_back(rp);
        return rp;
      }
      if (n < 0)
        return result<int>(overlayd::make_error(error_code::invalid_argument, "negative"));
      return result<int>(factor * n);
    },
  };
}

using answer_promise = std::shared_ptr<std::promise<result<int>>>;

void asker(caf::event_based_actor* self, doubler_actor to, int n,
           std::chrono::milliseconds limit, answer_promise out) {
  overlayd::ask<result<int>>(self, to, "the doubler", limit, n,
                             [out](result<int> r) { out->set_value(std::move(r)); });
}

result<int> ask_doubler(caf::actor_system& system, const doubler_actor& to, int n,
                        std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto out = std::make_shared<std::promise<result<int>>>();
  auto answer = out->get_future();
  system.spawn(asker, to, n, limit, out);
  REQUIRE(answer.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  return answer.get();
}

} // namespace

TEST_CASE("ask: the answer, a refusal, a timeout and a gone actor take one path", "[ask]") {
  caf::actor_system_config config;
  caf::actor_system system{config};
  auto d = system.spawn(doubler, 2);

  auto doubled = ask_doubler(system, d, 21);
  REQUIRE(doubled.ok());
  CHECK(*doubled == 42);

  // A refusal of the actor's own arrives as it is.
  auto refused = ask_doubler(system, d, -1);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == error_code::invalid_argument);
  CHECK(refused.error_message() == "negative");
  CHECK_FALSE(overlayd::no_answer(refused));

  auto late = ask_doubler(system, d, 0, std::chrono::milliseconds(50));
  REQUIRE_FALSE(late.ok());
  CHECK(late.code() == error_code::timeout);
  CHECK(late.error_message() == "the doubler did not answer within 50 ms");
  CHECK(overlayd::no_answer(late));

  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
  caf::scoped_actor waiter{system};
  waiter->wait_for(d);
  auto gone = ask_doubler(system, d, 1);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.code() == error_code::unavailable);
  CHECK(gone.error_message() == "the doubler is gone");
}
