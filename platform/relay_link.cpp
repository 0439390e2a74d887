#include "platform/relay_link.hpp"

#include <algorithm>
#include <cstring>
#include <string>


namespace overlayd::platform {

namespace relay = net::relay;

void relay_link::use_server(std::optional<net::endpoint> server, const relay::auth_key& key) {
  std::unique_lock guard(lock_);
  if (server_ && server && !(*server_ == *server))
    destinations_.clear();
  if (!server)
    destinations_.clear();
  server_ = std::move(server);
  key_ = key;
  in_use_.store(server_.has_value(), std::memory_order_release);
}

std::optional<net::endpoint> relay_link::server() const {
  std::shared_lock guard(lock_);
  return server_;
}

void relay_link::reach_through_relay(const net::endpoint& destination) {
  std::unique_lock guard(lock_);
  if (destinations_.size() < max_destinations)
    destinations_.insert(destination);
}

bool relay_link::reached_through_relay(const net::endpoint& destination) const {
  std::shared_lock guard(lock_);
  return destinations_.count(destination) != 0;
}

std::optional<net::endpoint> relay_link::wrap(const std::uint8_t* bytes, std::size_t length,
                                              const net::endpoint& to,
                                              std::vector<std::uint8_t>& frame) const {
  if (!in_use_.load(std::memory_order_acquire))
    return std::nullopt;
  std::shared_lock guard(lock_);
  if (!server_ || destinations_.count(to) == 0
      || !relay::write_data_frame(frame, to, bytes, length))
    return std::nullopt;
  return server_;
}

relay_link::verdict relay_link::take(std::uint8_t* data, std::size_t& length,
                                     net::endpoint& from) {
  if (!in_use_.load(std::memory_order_acquire))
    return verdict::not_relay;
  {
    std::shared_lock guard(lock_);
    if (!server_ || !(*server_ == from))
      return verdict::not_relay;
  }
  if (length > 0 && data[0] == static_cast<std::uint8_t>(relay::message_type::data)) {
    auto inside = relay::view_data_frame(data, length);
    if (!inside)
      return verdict::taken;
    reach_through_relay(inside->addr); // replies go back the same way
    // Moved to the start of its buffer, where every datagram sits: the TUN
    // writer grows coalesced packets into the rest of the buffer.
    std::memmove(data, data + inside->offset, inside->length);
    length = inside->length;
    from = inside->addr;
    return verdict::unwrapped;
  }
  relay::auth_key key;
  {
    std::shared_lock guard(lock_);
    key = key_;
  }
  auto message = relay::decode(data, length, key);
  if (!message)
    return verdict::taken; // forged, or under another key: never the engine's either
  {
    std::lock_guard guard(answer_lock_);
    auto type = relay::type_of(*message);
    if (std::find(awaited_.begin(), awaited_.end(), type) == awaited_.end())
      return verdict::taken; // late or unasked for
    answer_ = std::move(*message);
    awaited_.clear();
  }
  answered_.notify_all();
  return verdict::taken;
}

result<relay::message> relay_link::exchange(udp_socket& socket, const relay::message& request,
                                            std::initializer_list<relay::message_type> answers,
                                            std::chrono::milliseconds timeout) {
  std::lock_guard one_at_a_time(exchange_lock_);
  std::optional<net::endpoint> to;
  result<std::vector<std::uint8_t>> bytes = make_error("no relay server");
  {
    std::shared_lock guard(lock_);
    to = server_;
    if (to)
      bytes = relay::encode(request, key_);
  }
  const char* what = relay::type_name(relay::type_of(request));
  if (!to)
    return make_error(std::string(what) + ": no relay server in use");
  const std::string where = what;
  if (!bytes)
    return make_error(where + ": " + bytes.error_message());
  {
    std::lock_guard guard(answer_lock_);
    awaited_.assign(answers.begin(), answers.end());
    answer_.reset();
  }
  datagram out{bytes->data(), bytes->size(), 0, socket_address::from(*to)};
  std::unique_lock guard(answer_lock_);
  if (socket.send_batch(&out, 1) != 1) {
    awaited_.clear();
    return make_error(where + ": the request could not be sent");
  }
  bool arrived = answered_.wait_for(guard, timeout, [&] { return answer_.has_value(); });
  awaited_.clear();
  if (!arrived)
    return make_error(where + ": no authenticated answer within " + std::to_string(timeout.count())
                      + " ms (relay unreachable, or it does not share our credential)");
  auto answer = std::move(*answer_);
  answer_.reset();
  return answer;
}

} // namespace overlayd::platform
