#include "net/nat/connect_attempt.hpp"

#include <algorithm>

namespace overlayd::net::nat {

connect_attempt::connect_attempt(std::vector<candidate> ordered, std::optional<endpoint> previous,
                                 std::chrono::seconds per_candidate, bool defer_first_punch)
    : ordered_(std::move(ordered)), previous_(std::move(previous)),
      per_candidate_(per_candidate), defer_first_punch_(defer_first_punch) {}

connect_attempt::action connect_attempt::next(wall_clock::time_point now,
                                              wall_clock::time_point last_handshake) {
  if (done_)
    return ordered_.empty() || index_ >= ordered_.size() ? action::failed : action::succeeded;
  if (started_ && last_handshake > switched_at_) {
    done_ = true;
    return action::succeeded;
  }
  if (started_ && now - switched_at_ < per_candidate_) {
    if (now - last_punch_ < punch_interval)
      return action::wait;
    last_punch_ = now;
    return action::punch;
  }
  if (started_)
    ++index_;
  started_ = true;
  if (index_ >= ordered_.size()) {
    done_ = true;
    return action::failed;
  }
  switched_at_ = now;
  if (defer_first_punch_) {
    last_punch_ = now - punch_interval + deferred_punch_delay;
    return action::switch_quietly;
  }
  last_punch_ = now;
  return action::switch_endpoint;
}

connection_type classify_connection(const endpoint& working, bool through_relay,
                                    const std::vector<candidate>& advertised) {
  if (through_relay)
    return connection_type::relayed;
  bool host = std::any_of(advertised.begin(), advertised.end(), [&](const candidate& c) {
    return c.type == candidate_type::host && c.address == working;
  });
  return host ? connection_type::direct : connection_type::hole_punched;
}

} // namespace overlayd::net::nat
