#include "net/relay/relay_server_state.hpp"

#include <sodium.h>

#include <algorithm>
#include <type_traits>
#include <utility>

namespace overlayd::net::relay {

namespace {

relay_server_config with_defaults(relay_server_config config) {
  if (config.max_sessions == 0)
    config.max_sessions = default_max_sessions;
  // A zero lifetime would expire every allocation at the first sweep.
  if (config.max_lifetime <= std::chrono::seconds::zero())
    config.max_lifetime = std::chrono::seconds(default_lifetime_seconds);
  return config;
}

bool is_response(std::uint8_t type) {
  switch (static_cast<message_type>(type)) {
  case message_type::allocate_response:
  case message_type::allocate_error:
  case message_type::permission_response:
  case message_type::refresh_response:
    return true;
  default:
    return false;
  }
}

// Checks the tag before anything else so that every control frame that is
// not provably from a key holder counts as unauthenticated, whether it is
// forged, cut short or garbage; decode() then only finds malformed payloads.
bool authentic(const auth_key& key, const std::uint8_t* p, std::size_t n) {
  if (n < header_size)
    return false;
  const std::size_t signed_length = header_size + ((std::size_t{p[1]} << 8) | p[2]);
  if (n < signed_length + tag_size)
    return false;
  return verify_tag(key, p, signed_length, p + signed_length);
}

bool permits(const std::vector<ip_address>& permissions, const ip_address& ip) {
  return std::find(permissions.begin(), permissions.end(), ip) != permissions.end();
}

} // namespace

relay_server_state::relay_server_state(relay_server_config config, auth_key key)
    : config_(with_defaults(std::move(config))), key_(key) {}

relay_server_state::reaction relay_server_state::on_control(const endpoint& from,
                                                            const std::uint8_t* bytes,
                                                            std::size_t length, time_point now,
                                                            const bind_relay_port& bind) {
  reaction r;
  if (length == 0) {
    drop(from, "empty datagram", r);
    return r;
  }
  const std::uint8_t type = bytes[0];
  if (is_response(type)) {
    drop(from, "a response type sent to the server", r);
    return r;
  }
  if (is_control(static_cast<message_type>(type))) {
    if (!authentic(key_, bytes, length)) {
      ++unauthenticated_drops_;
      drop(from, "unauthenticated control message", r);
      return r;
    }
  } else if (type != static_cast<std::uint8_t>(message_type::data)) {
    drop(from, "unknown message type", r);
    return r;
  }
  auto decoded = decode(bytes, length, key_);
  if (!decoded) {
    drop(from, "malformed message", r);
    return r;
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, allocate_request>)
          on_allocate(from, now, bind, r);
        else if constexpr (std::is_same_v<T, permission_request>)
          on_permission(from, m, r);
        else if constexpr (std::is_same_v<T, refresh_request>)
          on_refresh(from, m, now, r);
        else if constexpr (std::is_same_v<T, deallocate_request>)
          on_deallocate(from, m, r);
        else if constexpr (std::is_same_v<T, data_message>)
          on_client_data(from, m, now, r);
        // Response types were refused above.
      },
      *decoded);
  return r;
}

void relay_server_state::on_allocate(const endpoint& from, time_point now,
                                     const bind_relay_port& bind, reaction& r) {
  if (auto known = by_client_.find(from); known != by_client_.end()) {
    allocation& a = allocations_.at(known->second);
    a.last_activity = now;
    a.lifetime = config_.max_lifetime;
    auto lifetime = static_cast<std::uint32_t>(a.lifetime.count());
    reply(from, allocate_response{a.relay_addr, a.id, lifetime}, r);
    r.events.push_back({event::kind::reallocated, from, a.relay_addr, "already allocated"});
    return;
  }
  if (allocations_.size() >= config_.max_sessions) {
    reply(from, allocate_error{reason_max_sessions}, r);
    r.events.push_back({event::kind::refused, from, {}, reason_max_sessions});
    return;
  }
  std::optional<std::uint16_t> port = bind ? bind() : std::nullopt;
  if (!port) {
    reply(from, allocate_error{reason_bind_failed}, r);
    r.events.push_back({event::kind::refused, from, {}, reason_bind_failed});
    return;
  }
  allocation a;
  a.id = fresh_id();
  a.client = from;
  a.relay_addr = endpoint{config_.external_addr.address, *port};
  a.lifetime = config_.max_lifetime;
  a.last_activity = now;
  reply(from, allocate_response{a.relay_addr, a.id, static_cast<std::uint32_t>(a.lifetime.count())},
        r);
  r.events.push_back({event::kind::allocated, from, a.relay_addr, ""});
  by_client_[from] = a.id;
  by_port_[*port] = a.id;
  allocations_.emplace(a.id, std::move(a));
}

void relay_server_state::on_permission(const endpoint& from, const permission_request& m,
                                       reaction& r) {
  allocation* a = owned(m.id, from, r);
  if (!a)
    return;
  // Permissions match on the IP alone, as the original's do.
  if (!permits(a->permissions, m.peer_addr.address)) {
    if (a->permissions.size() >= max_permissions) {
      drop(from, "permission limit reached", r);
      return;
    }
    a->permissions.push_back(m.peer_addr.address);
  }
  reply(from, permission_response{}, r);
}

void relay_server_state::on_refresh(const endpoint& from, const refresh_request& m,
                                    time_point now, reaction& r) {
  allocation* a = owned(m.id, from, r);
  if (!a)
    return;
  const auto granted =
      std::min<std::uint64_t>(m.lifetime, static_cast<std::uint64_t>(config_.max_lifetime.count()));
  reply(from, refresh_response{static_cast<std::uint32_t>(granted)}, r);
  if (granted == 0) {
    remove(m.id, event::kind::removed, "refreshed with lifetime 0", r);
    return;
  }
  a->lifetime = std::chrono::seconds(granted);
  a->last_activity = now;
}

void relay_server_state::on_deallocate(const endpoint& from, const deallocate_request& m,
                                       reaction& r) {
  if (owned(m.id, from, r))
    remove(m.id, event::kind::removed, "deallocated", r);
}

void relay_server_state::on_client_data(const endpoint& from, const data_message& m,
                                        time_point now, reaction& r) {
  auto known = by_client_.find(from);
  if (known == by_client_.end()) {
    drop(from, "data from a client without an allocation", r);
    return;
  }
  allocation& sender = allocations_.at(known->second);
  sender.last_activity = now;
  if (allocation* target = allocation_at(m.addr)) {
    // Delivered inside the server: the same check and the same frame as if
    // the datagram had left the sender's relay socket and come back in on
    // the target's, without needing the external IP to hairpin.
    if (!permits(target->permissions, sender.relay_addr.address)) {
      drop(from, "the target allocation does not permit the sender", r);
      return;
    }
    auto frame = encode_data(data_message{sender.relay_addr, m.raw});
    if (!frame) {
      drop(from, "data too large to forward", r);
      return;
    }
    r.sends.push_back({std::nullopt, target->client, std::move(*frame)});
    return;
  }
  if (!permits(sender.permissions, m.addr.address)) {
    drop(from, "destination not permitted", r);
    return;
  }
  r.sends.push_back({sender.relay_addr.port, m.addr, m.raw});
}

relay_server_state::reaction relay_server_state::on_allocation(std::uint16_t port,
                                                               const endpoint& from,
                                                               const std::uint8_t* bytes,
                                                               std::size_t length) {
  reaction r;
  auto known = by_port_.find(port);
  if (known == by_port_.end()) {
    drop(from, "datagram for an allocation that is gone", r);
    return r;
  }
  const allocation& a = allocations_.at(known->second);
  if (!permits(a.permissions, from.address)) {
    drop(from, "peer not permitted", r);
    return r;
  }
  auto frame = encode_data(data_message{from, std::vector<std::uint8_t>(bytes, bytes + length)});
  if (!frame) {
    drop(from, "datagram too large to wrap", r);
    return r;
  }
  r.sends.push_back({std::nullopt, a.client, std::move(*frame)});
  return r;
}

relay_server_state::reaction relay_server_state::expire(time_point now) {
  reaction r;
  std::vector<allocation_id> idle;
  for (const auto& [id, a] : allocations_)
    if (now - a.last_activity >= a.lifetime)
      idle.push_back(id);
  for (const auto& id : idle)
    remove(id, event::kind::expired, "idle for its lifetime", r);
  return r;
}

relay_server_state::allocation* relay_server_state::owned(const allocation_id& id,
                                                          const endpoint& from, reaction& r) {
  auto it = allocations_.find(id);
  if (it == allocations_.end()) {
    drop(from, "unknown allocation", r);
    return nullptr;
  }
  if (!(it->second.client == from)) {
    drop(from, "sender does not own the allocation", r);
    return nullptr;
  }
  return &it->second;
}

relay_server_state::allocation* relay_server_state::allocation_at(const endpoint& relay_addr) {
  if (relay_addr.address != config_.external_addr.address)
    return nullptr;
  auto it = by_port_.find(relay_addr.port);
  return it == by_port_.end() ? nullptr : &allocations_.at(it->second);
}

allocation_id relay_server_state::fresh_id() const {
  allocation_id id{};
  do
    randombytes_buf(id.data(), id.size());
  while (allocations_.count(id) != 0);
  return id;
}

void relay_server_state::reply(const endpoint& to, const message& m, reaction& r) const {
  // Replies are small and well-formed, so encoding cannot fail; the check
  // keeps a future message type from sending garbage.
  auto bytes = encode(m, key_);
  if (bytes)
    r.sends.push_back({std::nullopt, to, std::move(*bytes)});
}

void relay_server_state::remove(const allocation_id& id, event::kind why, const char* detail,
                                reaction& r) {
  auto it = allocations_.find(id);
  if (it == allocations_.end())
    return;
  const allocation& a = it->second;
  r.closed_ports.push_back(a.relay_addr.port);
  r.events.push_back({why, a.client, a.relay_addr, detail});
  by_client_.erase(a.client);
  by_port_.erase(a.relay_addr.port);
  allocations_.erase(it);
}

void relay_server_state::drop(const endpoint& from, const char* why, reaction& r) {
  r.events.push_back({event::kind::dropped, from, {}, why});
}

} // namespace overlayd::net::relay
