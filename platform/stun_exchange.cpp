#include "platform/stun_exchange.hpp"

#include <sodium.h>

namespace overlayd::platform {

result<net::endpoint> stun_exchange::ask(udp_socket& socket, const net::endpoint& server,
                                         std::chrono::milliseconds timeout) {
  net::nat::stun_transaction_id id;
  randombytes_buf(id.data(), id.size());
  auto request = net::nat::make_binding_request(id);
  {
    std::lock_guard guard(lock_);
    waiting_[id];
  }
  datagram out{request.data(), request.size(), 0, socket_address::from(server)};
  const std::string where = "stun(" + server.to_string() + ")";
  if (socket.send_batch(&out, 1) != 1) {
    std::lock_guard guard(lock_);
    waiting_.erase(id);
    return make_error(where + ": the request could not be sent");
  }
  std::unique_lock guard(lock_);
  bool arrived = answered_.wait_for(guard, timeout, [&] { return !waiting_[id].empty(); });
  auto answer = std::move(waiting_[id]);
  waiting_.erase(id);
  guard.unlock();
  if (!arrived)
    return make_error(where + ": no answer within " + std::to_string(timeout.count()) + " ms");
  auto reflexive = net::nat::parse_binding_response(answer.data(), answer.size(), id);
  if (!reflexive)
    return make_error(where + ": " + reflexive.error_message());
  return *reflexive;
}

bool stun_exchange::take(const std::uint8_t* data, std::size_t length) {
  if (!net::nat::looks_like_stun(data, length))
    return false;
  auto id = net::nat::stun_transaction_id_of(data, length);
  if (!id)
    return false;
  {
    std::lock_guard guard(lock_);
    auto it = waiting_.find(*id);
    if (it == waiting_.end())
      return true; // a late or foreign answer: STUN all the same, not WireGuard
    it->second.assign(data, data + length);
  }
  answered_.notify_all();
  return true;
}

} // namespace overlayd::platform
