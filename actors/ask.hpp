// ask: one request from an actor (the coordinator, the attachments actor)
// to another, with a finite timeout, answered in one callback. A reply that
// is a result<T> arrives as it is; any other reply T arrives as result<T>
// (void as result<void>). A timeout or an actor that is gone becomes an
// error naming who did not answer, with code timeout or unavailable, so no
// caller needs a second, caf::error path.
#pragma once

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

#include "net/base/result.hpp"

namespace overlayd {

// How long each kind of collaborator may take for one request.
namespace wait_for {
inline constexpr std::chrono::seconds quick{5};     // ipam, dns, a device's status
inline constexpr std::chrono::seconds host{30};     // bridges, veths, device bring-up
inline constexpr std::chrono::seconds traversal{30}; // a NAT tick: STUN and relay exchanges
// The attachments actor: an attach chains up to two ipam and three host
// steps (100 s); it stays within the coordinator's 120 s for a mutation.
inline constexpr std::chrono::seconds attachments{110};
// A caller of the coordinator: one mutation may chain host steps (the
// coordinator gives it 120 s), and may first wait for earlier ones.
inline constexpr std::chrono::seconds coordinator{180};
} // namespace wait_for

// "<who> did not answer within 5 s", "<who> is gone", "<who>: <error>".
error from_caf_error(const caf::error& e, const std::string& who,
                     std::chrono::milliseconds timeout);

template <class T>
struct answer_of {
  using type = result<T>;
};
template <class T>
struct answer_of<result<T>> {
  using type = result<T>;
};
template <class T>
using answer_t = typename answer_of<T>::type;

template <>
struct answer_of<void> {
  using type = result<void>;
};

// True when the error is ask's own: the actor did not answer at all (as
// opposed to answering with a refusal of its own).
template <class T>
bool no_answer(const result<T>& r) {
  return r.code() == error_code::timeout || r.code() == error_code::unavailable;
}

// `Reply` is the reply type of `request` at `to`; `done(answer_t<Reply>)`.
template <class Reply, class Self, class To, class Request, class Done, class Rep, class Period>
void ask(Self* self, const To& to, std::string who, std::chrono::duration<Rep, Period> timeout,
         Request request, Done done) {
  const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  auto failed = [done, who = std::move(who), limit](caf::error& e) mutable {
    done(answer_t<Reply>(from_caf_error(e, who, limit)));
  };
  if constexpr (std::is_void_v<Reply>)
    self->request(to, timeout, std::move(request))
      .then([done]() mutable { done(result<void>{}); }, std::move(failed));
  else
    self->request(to, timeout, std::move(request))
      .then([done](Reply& reply) mutable { done(answer_t<Reply>(std::move(reply))); },
            std::move(failed));
}

} // namespace overlayd
