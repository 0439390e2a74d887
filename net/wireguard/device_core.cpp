#include "net/wireguard/device_core.hpp"

#include <sodium.h>

#include <cstring>
#include <mutex>

#include "net/wireguard/messages.hpp"
#include "net/wireguard/transport_crypto.hpp"

namespace overlayd::net::wg {

namespace {

using std::chrono::milliseconds;

// Where an IP packet keeps the address the routing table is asked about.
struct ip_view {
  const std::uint8_t* address = nullptr;
  ip_address::family family = ip_address::family::v4;
  std::size_t total_length = 0; // from the header; 0 when the header is bad
};

ip_view destination_of(const std::uint8_t* packet, std::size_t length) {
  if (length >= 20 && (packet[0] >> 4) == 4)
    return {packet + 16, ip_address::family::v4, 0};
  if (length >= 40 && (packet[0] >> 4) == 6)
    return {packet + 24, ip_address::family::v6, 0};
  return {};
}

// The inner packet of a decrypted message: its source, and its real length
// (the sender padded it to a multiple of 16).
ip_view source_of(const std::uint8_t* packet, std::size_t length) {
  if (length >= 20 && (packet[0] >> 4) == 4) {
    std::size_t total = std::size_t{packet[2]} << 8 | packet[3];
    if (total < 20 || total > length)
      return {};
    return {packet + 12, ip_address::family::v4, total};
  }
  if (length >= 40 && (packet[0] >> 4) == 6) {
    std::size_t total = 40 + (std::size_t{packet[4]} << 8 | packet[5]);
    if (total > length)
      return {};
    return {packet + 8, ip_address::family::v6, total};
  }
  return {};
}

// The cookie binds the sender's address: its bytes and port.
std::array<std::uint8_t, 18> source_bytes(const endpoint& from) {
  std::array<std::uint8_t, 18> out{};
  std::memcpy(out.data(), from.address.bytes().data(), 16);
  out[16] = static_cast<std::uint8_t>(from.port >> 8);
  out[17] = static_cast<std::uint8_t>(from.port);
  return out;
}

milliseconds random_jitter(milliseconds limit) {
  if (limit.count() <= 0)
    return milliseconds(0);
  return milliseconds(randombytes_uniform(static_cast<std::uint32_t>(limit.count())));
}

std::size_t sealed_size(std::size_t padded) {
  return transport::header_size + padded + aead_tag_size;
}

} // namespace

device_core::device_core(timing t, std::size_t mtu, unsigned crypto_threads)
    : timing_(t), mtu_(mtu), seal_workers_(crypto_threads), open_workers_(crypto_threads) {
  ensure_sodium();
}

device_core::~device_core() = default;

void device_core::set_wake(std::function<void()> wake) {
  std::unique_lock guard(lock_);
  wake_ = std::move(wake);
}

// -- configuration ---------------------------------------------------------------------------

peer* device_core::find_peer(const key32& public_key) const {
  auto it = peers_.find(public_key);
  return it == peers_.end() ? nullptr : it->second.get();
}

peer* device_core::add_peer(const key32& public_key) {
  auto made = std::make_unique<peer>(next_peer_id_++, identity_, public_key);
  peer* p = made.get();
  by_id_[p->id] = p;
  peers_.emplace(public_key, std::move(made));
  return p;
}

void device_core::remove_peer(peer* p) {
  drop_sessions(*p);
  if (p->handshake_in_flight)
    drop_index(p->handshake.local_index);
  routes_.remove_peer(p->id);
  by_id_.erase(p->id);
  peers_.erase(p->public_key());
}

void device_core::rebuild_identity(const key32& private_key) {
  has_identity_ = !key_is_zero(private_key);
  identity_ = has_identity_ ? static_identity::from_private_key(private_key) : static_identity{};
  cookies_ = has_identity_ ? cookie_checker(identity_.public_key) : cookie_checker{};
  // Sessions were made with the old key: they end; peers stay.
  std::vector<peer*> own_key;
  for (auto& [key, p] : peers_) {
    drop_sessions(*p);
    if (p->handshake_in_flight)
      drop_index(p->handshake.local_index);
    p->handshake_in_flight = false;
    auto psk = p->handshake.preshared_key;
    p->handshake = peer_handshake_state(identity_, key, psk);
    if (has_identity_ && keys_equal(key, identity_.public_key))
      own_key.push_back(p.get());
  }
  // A device is never its own peer (wireguard-go removes it too).
  for (peer* p : own_key)
    remove_peer(p);
}

uapi_error device_core::apply(const uapi_set_request& set, steady_time now) {
  std::unique_lock guard(lock_);
  if (set.private_key)
    rebuild_identity(*set.private_key);
  if (set.listen_port)
    listen_port_ = *set.listen_port;
  if (set.fwmark)
    fwmark_ = *set.fwmark;
  if (set.replace_peers) {
    while (!peers_.empty())
      remove_peer(peers_.begin()->second.get());
  }
  for (const auto& config : set.peers) {
    if (has_identity_ && keys_equal(config.public_key, identity_.public_key))
      continue; // wireguard-go ignores a block naming the device itself
    peer* p = find_peer(config.public_key);
    if (config.remove) {
      if (p != nullptr)
        remove_peer(p);
      continue;
    }
    if (p == nullptr) {
      if (config.update_only)
        continue;
      p = add_peer(config.public_key);
    }
    if (config.preshared_key) {
      p->handshake.preshared_key = *config.preshared_key;
    }
    if (config.endpoint)
      p->endpoint.store(*config.endpoint);
    if (config.persistent_keepalive_interval) {
      bool turned_on = p->persistent_keepalive == 0 && *config.persistent_keepalive_interval > 0;
      p->persistent_keepalive = *config.persistent_keepalive_interval;
      // As wireguard-go: a keepalive goes out at once, so a peer behind
      // NAT becomes reachable without waiting for traffic.
      if (turned_on)
        p->last_sent.reset();
    }
    if (config.replace_allowed_ips)
      routes_.remove_peer(p->id);
    for (const auto& prefix : config.allowed_ips)
      routes_.insert(prefix, p->id);
  }
  (void)now;
  return {};
}

std::vector<peer_counters> device_core::counters() const {
  std::shared_lock guard(lock_);
  std::vector<peer_counters> out;
  out.reserve(peers_.size());
  for (const auto& [key, p] : peers_) {
    peer_counters c;
    c.public_key = key;
    endpoint e;
    if (p->endpoint.load(e))
      c.remote = e;
    c.last_handshake_unix_ns = p->last_handshake_unix_ns.load();
    c.rx_bytes = p->rx_bytes.load();
    c.tx_bytes = p->tx_bytes.load();
    c.rx_packets = p->rx_packets.load();
    c.tx_packets = p->tx_packets.load();
    c.handshake_initiations = p->handshake_initiations.load();
    c.handshake_failures = p->handshake_failures.load();
    out.push_back(c);
  }
  return out;
}

uapi_device_status device_core::status() const {
  std::shared_lock guard(lock_);
  uapi_device_status s;
  if (has_identity_)
    s.private_key = identity_.private_key;
  s.listen_port = listen_port_;
  s.fwmark = fwmark_;
  for (const auto& [key, p] : peers_) {
    uapi_peer_status ps;
    ps.public_key = key;
    ps.preshared_key = p->handshake.preshared_key;
    endpoint e;
    if (p->endpoint.load(e))
      ps.endpoint = e;
    auto ns = p->last_handshake_unix_ns.load();
    ps.last_handshake_time_sec = ns / 1'000'000'000;
    ps.last_handshake_time_nsec = ns % 1'000'000'000;
    ps.rx_bytes = p->rx_bytes.load();
    ps.tx_bytes = p->tx_bytes.load();
    ps.persistent_keepalive_interval = p->persistent_keepalive;
    ps.allowed_ips = routes_.entries_of(p->id);
    s.peers.push_back(std::move(ps));
  }
  return s;
}

std::optional<key32> device_core::public_key() const {
  std::shared_lock guard(lock_);
  if (!has_identity_)
    return std::nullopt;
  return identity_.public_key;
}

std::uint16_t device_core::listen_port() const {
  std::shared_lock guard(lock_);
  return listen_port_;
}

std::size_t device_core::peer_count() const {
  std::shared_lock guard(lock_);
  return peers_.size();
}

// -- sessions and indices --------------------------------------------------------------------

std::uint32_t device_core::new_index(index_entry entry) {
  for (;;) {
    std::uint32_t index = randombytes_random();
    if (indices_.emplace(index, entry).second)
      return index;
  }
}

void device_core::drop_index(std::uint32_t index) {
  indices_.erase(index);
}

void device_core::drop_sessions(peer& p) {
  for (auto* slot : {&p.current, &p.previous, &p.next}) {
    if (*slot)
      drop_index((*slot)->keys.local_index);
    slot->reset();
  }
  p.next_confirmed.store(false);
}

// The initiator uses a new session at once; the responder keeps it as
// `next` until the initiator's first data under it arrives (whitepaper 5.4.5:
// it must not send first).
void device_core::install(peer& p, std::unique_ptr<keypair> session, bool as_initiator) {
  indices_[session->keys.local_index] = index_entry{&p, session.get()};
  if (as_initiator) {
    if (p.next)
      drop_index(p.next->keys.local_index);
    p.next.reset();
    p.next_confirmed.store(false);
    if (p.previous)
      drop_index(p.previous->keys.local_index);
    p.previous = std::move(p.current);
    p.current = std::move(session);
  } else {
    if (p.next)
      drop_index(p.next->keys.local_index);
    p.next = std::move(session);
    p.next_confirmed.store(false);
  }
}

void device_core::promote_next(peer& p) {
  if (!p.next_confirmed.exchange(false) || !p.next)
    return;
  if (p.previous)
    drop_index(p.previous->keys.local_index);
  p.previous = std::move(p.current);
  p.current = std::move(p.next);
}

keypair* device_core::sendable(peer& p, steady_time now) const {
  // A confirmed next session is the current one in all but name until the
  // control thread promotes it.
  keypair* k = p.next_confirmed.load() && p.next ? p.next.get() : p.current.get();
  if (k == nullptr || k->expired(now, timing_.reject_after_time))
    return nullptr;
  return k;
}

void device_core::want_handshake(peer& p) {
  if (!p.handshake_wanted.exchange(true) && wake_)
    wake_();
}

bool device_core::handshake_now(const key32& public_key) {
  {
    std::unique_lock guard(lock_);
    peer* p = find_peer(public_key);
    if (p == nullptr)
      return false;
    if (p->handshake_in_flight)
      p->last_initiation_sent = steady_time{}; // the retry is due
    else
      p->handshake_wanted.store(true);
  }
  if (wake_)
    wake_();
  return true;
}

void device_core::stage(peer& p, const std::uint8_t* packet, std::size_t length) {
  std::lock_guard guard(p.staged_lock);
  if (p.staged.size() >= peer::max_staged) {
    p.staged.pop_front(); // the newest packets matter most (wireguard-go does the same)
    drops_.staged_overflow.fetch_add(1, std::memory_order_relaxed);
  }
  p.staged.emplace_back(packet, packet + length);
}

// -- data plane --------------------------------------------------------------------------------

void device_core::seal_batch(seal_slot* slots, std::size_t count, steady_time now) {
  std::shared_lock guard(lock_);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    route_for_sealing(slots[i], now);
    bytes += slots[i].message_length;
  }
  seal_workers_.run(count, bytes, [slots](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      seal_slot& s = slots[i];
      if (s.key != nullptr) {
        std::uint8_t* packet = s.message + transport::header_size;
        seal(*s.key, s.counter, packet, s.padded, packet + s.padded);
      }
    }
  });
}

// Everything of sealing but the cipher: the route, the session and its
// counter, the header and the padding. The counter is taken here, in the
// batch's order, so that each peer's packets carry rising counters.
void device_core::route_for_sealing(seal_slot& s, steady_time now) {
  s.message_length = 0;
  s.key = nullptr;
  std::uint8_t* packet = s.message + transport::header_size;
  ip_view dst = destination_of(packet, s.packet_length);
  if (dst.address == nullptr) {
    drops_.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto id = routes_.lookup(dst.address, dst.family);
  if (!id) {
    drops_.no_route.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  peer& p = *by_id_.find(*id)->second;
  if (!p.endpoint.load(s.to)) {
    drops_.no_endpoint.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  keypair* k = sendable(p, now);
  std::uint64_t counter = k ? k->send_counter.fetch_add(1, std::memory_order_relaxed) : 0;
  if (k == nullptr || counter >= replay_window::reject_after_messages) {
    stage(p, packet, s.packet_length);
    want_handshake(p);
    return;
  }
  if (counter >= timing_.rekey_after_messages
      || (k->keys.is_initiator && now - k->created >= timing_.rekey_after_time))
    want_handshake(p);
  std::size_t padded = padded_length(s.packet_length, mtu_);
  if (sealed_size(padded) > s.capacity) {
    drops_.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::memset(packet + s.packet_length, 0, padded - s.packet_length);
  write_message_type(s.message, message_type::transport_data);
  store_le32(s.message + transport::receiver, k->keys.remote_index);
  store_le64(s.message + transport::counter, counter);
  s.key = &k->keys.send;
  s.counter = counter;
  s.padded = padded;
  s.message_length = sealed_size(padded);
  p.tx_bytes.fetch_add(s.message_length, std::memory_order_relaxed);
  p.tx_packets.fetch_add(1, std::memory_order_relaxed);
  p.unanswered_since.mark_unless_set(now);
  p.last_sent.mark(now);
  p.keepalive_owed.store(false, std::memory_order_relaxed);
}

void device_core::open_batch(open_slot* slots, std::size_t count, steady_time now) {
  std::shared_lock guard(lock_);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    find_session(slots[i], now);
    if (slots[i].session != nullptr)
      bytes += slots[i].length;
  }
  open_workers_.run(count, bytes, [slots](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      open_slot& s = slots[i];
      if (s.session == nullptr)
        continue;
      s.authenticated = open_in_place(s.session->keys.receive, s.counter,
                                      s.message + transport::header_size,
                                      s.length - transport::header_size, s.plain_length);
    }
  });
  for (std::size_t i = 0; i < count; ++i)
    if (slots[i].session != nullptr)
      finish_opened(slots[i], now);
}

// Before the cipher: what the datagram is, and for transport data the
// session it names, if its counter could still be accepted.
void device_core::find_session(open_slot& s, steady_time now) {
  s.result = open_slot::verdict::drop;
  s.session = nullptr;
  s.authenticated = false;
  std::uint32_t type = read_message_type(s.message, s.length);
  if (type == static_cast<std::uint32_t>(message_type::handshake_initiation)
      || type == static_cast<std::uint32_t>(message_type::handshake_response)
      || type == static_cast<std::uint32_t>(message_type::cookie_reply)) {
    s.result = open_slot::verdict::control;
    return;
  }
  if (type != static_cast<std::uint32_t>(message_type::transport_data)
      || s.length < transport::min_size) {
    drops_.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto found = indices_.find(load_le32(s.message + transport::receiver));
  if (found == indices_.end() || found->second.session == nullptr) {
    drops_.unknown_index.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  keypair& k = *found->second.session;
  std::uint64_t counter = load_le64(s.message + transport::counter);
  if (k.expired(now, timing_.reject_after_time) || !k.replay.would_accept(counter)) {
    drops_.replayed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  s.session = &k;
  s.counter = counter;
}

// After the cipher, in the batch's order: the replay window (a counter
// twice in one batch is accepted once), roaming, timers, and the inner
// source against the peer's allowed IPs.
void device_core::finish_opened(open_slot& s, steady_time now) {
  keypair& k = *s.session;
  peer& p = *k.owner;
  if (!s.authenticated) {
    drops_.forged.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!k.replay.accept(s.counter)) {
    drops_.replayed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Authenticated: the packet counts, and its source is where the peer
  // is now (roaming, whitepaper 2.1).
  p.rx_bytes.fetch_add(s.length, std::memory_order_relaxed);
  p.rx_packets.fetch_add(1, std::memory_order_relaxed);
  p.last_received.mark(now);
  p.unanswered_since.reset();
  endpoint known;
  if (!p.endpoint.load(known) || !(known == s.from))
    p.endpoint.store(s.from);
  if (&k == p.next.get()) {
    p.next_confirmed.store(true);
    if (wake_)
      wake_();
  }
  // An initiator renews its session shortly before the peer would stop
  // accepting it (wireguard-go's keepKeyFreshReceiving).
  if (k.keys.is_initiator
      && now - k.created
           >= timing_.reject_after_time - timing_.keepalive_timeout - timing_.rekey_timeout)
    want_handshake(p);
  std::uint8_t* plain = s.message + transport::header_size;
  std::size_t plain_length = s.plain_length;
  if (plain_length == 0)
    return; // a keepalive
  ip_view src = source_of(plain, plain_length);
  if (src.address == nullptr) {
    drops_.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto owner = routes_.lookup(src.address, src.family);
  if (!owner || *owner != p.id) {
    drops_.wrong_source.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  p.last_data_received.mark(now);
  p.keepalive_owed.store(true, std::memory_order_relaxed);
  s.result = open_slot::verdict::deliver;
  s.packet = plain;
  s.packet_length = src.total_length;
}

// -- handshakes ---------------------------------------------------------------------------------

void device_core::handle_control(const std::uint8_t* message, std::size_t length,
                                 const endpoint& from, steady_time now, wall_time wall,
                                 std::vector<outgoing_datagram>& out) {
  std::unique_lock guard(lock_);
  if (!has_identity_)
    return;
  switch (read_message_type(message, length)) {
  case static_cast<std::uint32_t>(message_type::handshake_initiation):
    consume_initiation_message(message, length, from, now, wall, out);
    break;
  case static_cast<std::uint32_t>(message_type::handshake_response):
    consume_response_message(message, length, from, now, wall, out);
    break;
  case static_cast<std::uint32_t>(message_type::cookie_reply):
    consume_cookie_reply(message, length, now);
    break;
  default:
    drops_.malformed.fetch_add(1, std::memory_order_relaxed);
  }
}

bool device_core::answer_with_cookie_if_loaded(const std::uint8_t* message, std::size_t length,
                                               const endpoint& from, steady_time now,
                                               std::vector<outgoing_datagram>& out) {
  if (!under_load_.load())
    return false;
  auto source = source_bytes(from);
  if (cookies_.check_mac2(message, length, source.data(), source.size(), now))
    return false;
  outgoing_datagram reply{std::vector<std::uint8_t>(cookie_reply::size), from};
  if (cookies_.create_reply(message, length, source.data(), source.size(), now,
                            reply.bytes.data()))
    out.push_back(std::move(reply));
  return true;
}

void device_core::consume_initiation_message(const std::uint8_t* message, std::size_t length,
                                             const endpoint& from, steady_time now,
                                             wall_time wall,
                                             std::vector<outgoing_datagram>& out) {
  if (length != initiation::size || !cookies_.check_mac1(message, length)) {
    drops_.handshake_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (answer_with_cookie_if_loaded(message, length, from, now, out))
    return;
  pending_initiation pending;
  peer* p = nullptr;
  if (consume_initiation(identity_, message, length, pending) != handshake_error::none
      || (p = find_peer(pending.remote_static)) == nullptr
      || complete_initiation(p->handshake, pending, now) != handshake_error::none) {
    drops_.handshake_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  p->endpoint.store(from);
  std::uint32_t index = new_index(index_entry{p, nullptr});
  outgoing_datagram reply{std::vector<std::uint8_t>(response::size), from};
  transport_keys keys;
  if (create_response(p->handshake, index, now, reply.bytes.data(), keys)
      != handshake_error::none) {
    drop_index(index);
    drops_.handshake_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  install(*p, std::make_unique<keypair>(keys, now, p), false);
  session_established(*p, now, wall);
  p->last_sent.mark(now);
  out.push_back(std::move(reply));
}

void device_core::consume_response_message(const std::uint8_t* message, std::size_t length,
                                           const endpoint& from, steady_time now,
                                           wall_time wall,
                                           std::vector<outgoing_datagram>& out) {
  if (length != response::size || !cookies_.check_mac1(message, length)) {
    drops_.handshake_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (answer_with_cookie_if_loaded(message, length, from, now, out))
    return;
  auto found = indices_.find(load_le32(message + response::receiver));
  if (found == indices_.end() || found->second.session != nullptr) {
    drops_.handshake_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  peer& p = *found->second.owner;
  transport_keys keys;
  if (consume_response(identity_, p.handshake, message, length, keys) != handshake_error::none) {
    drops_.handshake_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  p.endpoint.store(from);
  p.handshake_in_flight = false;
  install(p, std::make_unique<keypair>(keys, now, &p), true);
  session_established(p, now, wall);
  // The responder waits for our first data before it sends: give it some,
  // staged packets or a keepalive.
  flush_staged(p, now, out);
}

void device_core::consume_cookie_reply(const std::uint8_t* message, std::size_t length,
                                       steady_time now) {
  if (length != cookie_reply::size)
    return;
  auto found = indices_.find(load_le32(message + cookie_reply::receiver));
  if (found == indices_.end())
    return;
  found->second.owner->handshake.cookies.consume_reply(message, length, now);
}

void device_core::session_established(peer& p, steady_time now, wall_time wall) {
  p.last_session.mark(now);
  p.handshake_wanted.store(false);
  p.last_handshake_unix_ns.store(
    std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count());
}

void device_core::send_initiation(peer& p, steady_time now, wall_time wall,
                                  std::vector<outgoing_datagram>& out) {
  endpoint to;
  if (!p.endpoint.load(to))
    return; // nowhere to send it; the timers try again
  if (p.handshake_in_flight)
    drop_index(p.handshake.local_index);
  std::uint32_t index = new_index(index_entry{&p, nullptr});
  outgoing_datagram message{std::vector<std::uint8_t>(initiation::size), to};
  if (create_initiation(identity_, p.handshake, index, make_tai64n(wall), now,
                        message.bytes.data())
      != handshake_error::none) {
    drop_index(index);
    return;
  }
  if (!p.handshake_in_flight)
    p.handshake_started = now;
  p.handshake_in_flight = true;
  p.last_initiation_sent = now;
  p.retry_jitter = random_jitter(timing_.rekey_timeout_jitter);
  p.last_sent.mark(now);
  p.handshake_initiations.fetch_add(1, std::memory_order_relaxed);
  out.push_back(std::move(message));
}

bool device_core::send_data(peer& p, const std::uint8_t* packet, std::size_t length,
                            steady_time now, std::vector<outgoing_datagram>& out) {
  keypair* k = sendable(p, now);
  endpoint to;
  if (k == nullptr || !p.endpoint.load(to))
    return false;
  std::uint64_t counter = k->send_counter.fetch_add(1, std::memory_order_relaxed);
  if (counter >= replay_window::reject_after_messages)
    return false;
  std::size_t padded = padded_length(length, mtu_);
  outgoing_datagram message{std::vector<std::uint8_t>(sealed_size(padded), 0), to};
  std::uint8_t* m = message.bytes.data();
  if (length > 0)
    std::memcpy(m + transport::header_size, packet, length);
  write_message_type(m, message_type::transport_data);
  store_le32(m + transport::receiver, k->keys.remote_index);
  store_le64(m + transport::counter, counter);
  seal(k->keys.send, counter, m + transport::header_size, padded,
       m + transport::header_size + padded);
  p.tx_bytes.fetch_add(message.bytes.size(), std::memory_order_relaxed);
  p.tx_packets.fetch_add(1, std::memory_order_relaxed);
  p.last_sent.mark(now);
  if (length > 0)
    p.unanswered_since.mark_unless_set(now);
  p.keepalive_owed.store(false, std::memory_order_relaxed);
  out.push_back(std::move(message));
  return true;
}

void device_core::flush_staged(peer& p, steady_time now, std::vector<outgoing_datagram>& out) {
  std::deque<std::vector<std::uint8_t>> staged;
  {
    std::lock_guard guard(p.staged_lock);
    staged.swap(p.staged);
  }
  if (staged.empty()) {
    send_data(p, nullptr, 0, now, out);
    return;
  }
  for (const auto& packet : staged)
    send_data(p, packet.data(), packet.size(), now, out);
}

// -- timers (whitepaper 6) ------------------------------------------------------------------------

void device_core::tick(steady_time now, wall_time wall, std::vector<outgoing_datagram>& out) {
  std::unique_lock guard(lock_);
  if (!has_identity_)
    return;
  for (auto& [key, p] : peers_)
    run_timers(*p, now, wall, out);
}

void device_core::run_timers(peer& p, steady_time now, wall_time wall,
                             std::vector<outgoing_datagram>& out) {
  promote_next(p);

  // Long after the last session every key goes (whitepaper 6.3).
  if (p.last_session.ever() && now - p.last_session.get() >= timing_.zero_keys_after()
      && (p.current || p.previous || p.next)) {
    drop_sessions(p);
    p.handshake.clear_handshake();
  }

  if (p.handshake_in_flight) {
    if (now - p.last_initiation_sent < timing_.rekey_timeout + p.retry_jitter)
      return;
    if (now - p.handshake_started >= timing_.rekey_attempt_time) {
      // Give up this round (whitepaper 6.4); new traffic starts another.
      p.handshake_failures.fetch_add(1, std::memory_order_relaxed);
      p.handshake_in_flight = false;
      drop_index(p.handshake.local_index);
      p.handshake.clear_handshake();
      std::lock_guard guard(p.staged_lock);
      p.staged.clear();
      return;
    }
    send_initiation(p, now, wall, out);
    return;
  }

  if (p.handshake_wanted.exchange(false)) {
    send_initiation(p, now, wall, out);
    return;
  }

  // Data went out and nothing has come back since: the session may be dead.
  if (p.unanswered_since.ever()
      && now - p.unanswered_since.get() >= timing_.keepalive_timeout + timing_.rekey_timeout) {
    p.unanswered_since.reset();
    send_initiation(p, now, wall, out);
    return;
  }

  bool keepalive = false;
  // Data came in and we had nothing to say back (whitepaper 6.5).
  if (p.keepalive_owed.load() && p.last_data_received.ever()
      && now - p.last_data_received.get() >= timing_.keepalive_timeout)
    keepalive = true;
  if (p.persistent_keepalive > 0
      && (!p.last_sent.ever()
          || now - p.last_sent.get() >= std::chrono::seconds(p.persistent_keepalive)))
    keepalive = true;
  if (keepalive && !send_data(p, nullptr, 0, now, out)) {
    p.last_sent.mark(now); // do not retry every tick while the handshake runs
    send_initiation(p, now, wall, out);
  }
}

} // namespace overlayd::net::wg
