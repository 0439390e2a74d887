#include "platform/relay_client.hpp"

#include <variant>

namespace overlayd::platform {

namespace relay = net::relay;

relay_client::relay_client(exchange_function exchange, std::chrono::milliseconds answer_timeout)
    : exchange_(std::move(exchange)), timeout_(answer_timeout) {}

result<net::endpoint> relay_client::allocate(const std::string& username) {
  auto answer = exchange_(relay::allocate_request{username},
                          {relay::message_type::allocate_response,
                           relay::message_type::allocate_error},
                          timeout_);
  if (!answer)
    return answer.err();
  if (auto* refused = std::get_if<relay::allocate_error>(&*answer))
    return make_error("allocation rejected: " + refused->reason);
  auto& granted = std::get<relay::allocate_response>(*answer);
  if (!allocation_ || allocation_->id != granted.id)
    permitted_.clear(); // a new allocation starts without permissions
  allocation_ = granted;
  return granted.relay_addr;
}

result<void> relay_client::permit(const net::ip_address& peer) {
  if (!allocation_)
    return make_error("permission for " + peer.to_string() + ": no allocation");
  if (permitted_.count(peer) != 0)
    return {};
  auto answer = exchange_(relay::permission_request{allocation_->id, net::endpoint{peer, 0}},
                          {relay::message_type::permission_response}, timeout_);
  if (!answer)
    return answer.err();
  permitted_.insert(peer);
  return {};
}

result<void> relay_client::refresh() {
  if (!allocation_)
    return make_error("refresh: no allocation");
  auto answer = exchange_(relay::refresh_request{allocation_->id, allocation_->lifetime},
                          {relay::message_type::refresh_response}, timeout_);
  if (!answer) {
    allocation_.reset(); // gone at the relay, or unreachable: allocate again
    permitted_.clear();
    return answer.err();
  }
  auto granted = std::get<relay::refresh_response>(*answer).lifetime;
  if (granted > 0)
    allocation_->lifetime = granted;
  return {};
}

void relay_client::deallocate() {
  if (!allocation_)
    return;
  // No answer comes; a short wait is enough to have sent it.
  (void)exchange_(relay::deallocate_request{allocation_->id}, {}, std::chrono::milliseconds(0));
  allocation_.reset();
  permitted_.clear();
}

std::optional<net::endpoint> relay_client::relay_address() const {
  if (!allocation_)
    return std::nullopt;
  return allocation_->relay_addr;
}

} // namespace overlayd::platform
