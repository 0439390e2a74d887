#include "actors/nat_traversal.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <tuple>

#include "actors/confine.hpp"
#include "actors/contract_messages.hpp"
#include "actors/nat_traversal_state.hpp"
#include "actors/replies.hpp"
#include "net/relay/relay_key.hpp"
#include "platform/host_candidates.hpp"
#include "platform/relay_client.hpp"
#include "platform/relay_server.hpp"
#include "platform/resolve_endpoint.hpp"
#include "platform/wg_device.hpp"

namespace overlayd {

namespace {

using namespace std::chrono_literals;
using net::nat::candidate;
using net::nat::candidate_type;
using net::nat::wall_clock;

// A peer whose last handshake is this recent needs no attempt (mechanics 7.14).
constexpr auto fresh_handshake = 75s;
constexpr auto poll_interval = 1s;

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::seconds>(wall_clock::now().time_since_epoch())
      .count());
}

wall_clock::time_point handshake_time(const net::wg::uapi_peer_status& p) {
  return wall_clock::time_point(std::chrono::duration_cast<wall_clock::duration>(
    std::chrono::seconds(p.last_handshake_time_sec)
    + std::chrono::nanoseconds(p.last_handshake_time_nsec)));
}

} // namespace

std::map<std::string, nat_traversal_state::device_peer>
nat_traversal_state::device_peers(const net::wg::uapi_device_status& status) {
  std::map<std::string, device_peer> peers;
  for (const auto& p : status.peers)
    peers[net::wg::key_to_base64(p.public_key)] = device_peer{p.endpoint, handshake_time(p)};
  return peers;
}

std::string nat_traversal_state::connection_at(const peer_traversal& peer,
                                               const net::endpoint& working) const {
  return std::string(to_string(net::nat::classify_connection(
    working, device_->reached_through_relay(working), peer.candidates)));
}

namespace {

// Adjacent or not, one candidate per address; then highest priority first.
std::vector<candidate> deduplicated_by_priority(std::vector<candidate> all) {
  std::vector<candidate> unique;
  for (auto& c : all)
    if (std::none_of(unique.begin(), unique.end(),
                     [&](const candidate& u) { return u.address == c.address; }))
      unique.push_back(std::move(c));
  std::stable_sort(unique.begin(), unique.end(),
                   [](const candidate& a, const candidate& b) { return a.priority > b.priority; });
  return unique;
}

std::string describe(const std::vector<candidate>& candidates) {
  std::string text;
  for (const auto& c : candidates)
    text += (text.empty() ? "" : ", ") + std::string(to_wire(c.type)) + " "
            + c.address.to_string();
  return text.empty() ? "none" : text;
}

} // namespace

nat_traversal_state::nat_traversal_state() = default;

nat_traversal_state::~nat_traversal_state() {
  forget_relay();
}

void nat_traversal_state::configure(nat_configure c) {
  auto same = [](const msg::turn_server_spec& a, const msg::turn_server_spec& b) {
    return std::tie(a.addr, a.username, a.credential) == std::tie(b.addr, b.username, b.credential);
  };
  const auto& now = config_.turn_servers;
  const auto& wanted = c.config.turn_servers;
  if (!std::equal(now.begin(), now.end(), wanted.begin(), wanted.end(), same)
      || c.relay_credential != relay_credential_)
    forget_relay(); // the next tick allocates on what is configured now
  config_ = std::move(c.config);
  relay_credential_ = std::move(c.relay_credential);
}

void nat_traversal_state::use_device(std::shared_ptr<platform::wg_device> device) {
  if (device == device_owner_.lock())
    return;
  forget_relay();
  for (auto& [name, peer] : peers_)
    peer.attempt.reset();
  local_.clear(); // they were the old socket's
  device_owner_ = device;
}

void nat_traversal_state::set_peer_candidates(const nat_peer_candidates& c) {
  auto key = net::wg::key_from_base64(c.public_key);
  if (c.candidates.empty() || !key) {
    peers_.erase(c.public_key);
    return;
  }
  auto& peer = peers_[c.public_key];
  peer.key = *key;
  peer.candidates = c.candidates;
  // Let the peer's relayed traffic in now: its own attempt may reach our
  // allocation before our next tick.
  permit_relayed_peers();
}

// -- NatTick -----------------------------------------------------------------------------

msg::response nat_traversal_state::tick() {
  if (!config_.enabled)
    return ok();
  start_relay_server();
  pinned_device pinned(*this);
  if (!device_) {
    spdlog::info("NAT tick: no global overlay yet, nothing to gather candidates from");
    return ok();
  }
  auto gathered = platform::gather_host_candidates(device_->listen_port());
  std::string stun_failure;
  auto reflexive = reflexive_candidates(stun_failure);
  gathered.insert(gathered.end(), reflexive.begin(), reflexive.end());
  if (auto relayed = relay_candidate())
    gathered.push_back(*relayed);
  gathered = deduplicated_by_priority(std::move(gathered));
  if (gathered != local_)
    spdlog::info("NAT candidates changed: {}", describe(gathered));
  local_ = std::move(gathered);
  if (!stun_failure.empty()) // as the original: a failed refresh skips the connect pass
    return fail("NAT maintenance tick failed: " + stun_failure);
  last_refresh_ = unix_now();
  permit_relayed_peers();
  connect_known_peers();
  return ok();
}

void nat_traversal_state::start_relay_server() {
  if (relay_server_ || !config_.relay_server)
    return;
  const auto& wanted = *config_.relay_server;
  auto external = net::parse_endpoint(wanted.external_addr);
  if (!external) {
    spdlog::warn("relay server not started: Invalid external addr '{}'", wanted.external_addr);
    return;
  }
  platform::relay_server::config server;
  server.listen_port = wanted.listen_port;
  server.external_addr = *external;
  server.max_sessions = static_cast<std::size_t>(wanted.max_sessions);
  auto key = net::relay::derive_auth_key(relay_credential_.value_or(""));
  auto started = platform::relay_server::start(server, key);
  if (!started) {
    spdlog::warn("relay server not started: {}", started.error_message());
    return;
  }
  relay_server_ = std::move(*started); // it logs where it listens
}

std::vector<candidate> nat_traversal_state::reflexive_candidates(std::string& failure) {
  std::vector<candidate> found;
  for (const auto& text : config_.stun_servers) {
    auto server = platform::resolve_endpoint(text);
    auto seen = server ? device_->stun_binding(*server, timeouts_.stun)
                       : result<net::endpoint>(server.err());
    if (!seen) {
      spdlog::warn("{}", seen.error_message());
      failure = seen.error_message();
      continue;
    }
    found.push_back(candidate::make(candidate_type::server_reflexive, *seen));
  }
  if (!found.empty())
    failure.clear(); // one answer is enough
  return found;
}

// Refreshed on every tick, as the original does: besides the lifetime, it
// keeps the NAT mapping toward the relay open while no relayed traffic flows.
std::optional<candidate> nat_traversal_state::relay_candidate() {
  if (relay_client_ && relay_client_->relay_address()) {
    if (auto refreshed = relay_client_->refresh(); !refreshed)
      spdlog::warn("relay {}: {}; allocating again", relay_in_use_, refreshed.error_message());
    if (auto address = relay_client_->relay_address())
      return candidate::make(candidate_type::relay, *address);
  }
  forget_relay();
  for (const auto& turn : config_.turn_servers) {
    auto server = platform::resolve_endpoint(turn.addr);
    if (!server) {
      spdlog::warn("relay {}: {}", turn.addr, server.error_message());
      continue;
    }
    // DECISIONS 21: clients and the server share the cluster credential;
    // an entry's own credential, when it has one, wins.
    const std::string& credential =
      !turn.credential.empty() ? turn.credential : relay_credential_.value_or("");
    device_->use_relay(*server, net::relay::derive_auth_key(credential));
    relay_client_ = std::make_unique<platform::relay_client>(
      [device = device_owner_](const net::relay::message& m,
                               std::initializer_list<net::relay::message_type> answers,
                               std::chrono::milliseconds timeout) -> result<net::relay::message> {
        if (auto pinned = device.lock())
          return pinned->relay_exchange(m, answers, timeout);
        return make_error("relay: the WireGuard device is gone");
      },
      timeouts_.relay);
    relay_in_use_ = server->to_string();
    auto address = relay_client_->allocate(turn.username);
    if (address) {
      spdlog::info("relay {}: allocated {}", relay_in_use_, address->to_string());
      return candidate::make(candidate_type::relay, *address);
    }
    spdlog::warn("relay {}: {}", relay_in_use_, address.error_message());
    forget_relay();
  }
  return std::nullopt;
}

void nat_traversal_state::forget_relay() {
  if (relay_client_)
    relay_client_->deallocate();
  relay_client_.reset();
  if (auto device = device_owner_.lock())
    device->use_relay(std::nullopt, {});
}

// Peers reach this node's allocation from theirs; the relay lets them in
// by their allocation's IP.
void nat_traversal_state::permit_relayed_peers() {
  if (!relay_client_ || !relay_client_->relay_address())
    return;
  for (const auto& [name, peer] : peers_)
    for (const auto& c : peer.candidates)
      if (c.type == candidate_type::relay)
        if (auto permitted = relay_client_->permit(c.address.address); !permitted)
          spdlog::warn("relay {}: {}", relay_in_use_, permitted.error_message());
}

// -- connection attempts ------------------------------------------------------------------

void nat_traversal_state::connect_known_peers() {
  auto device_status = device_->status();
  std::optional<net::wg::key32> own_key;
  if (!net::wg::keys_equal(device_status.private_key, net::wg::key32{}))
    own_key = net::wg::public_key_from_private(device_status.private_key);
  auto on_device = device_peers(device_status);
  auto cutoff = wall_clock::now() - fresh_handshake;
  for (auto& [name, peer] : peers_) {
    if (peer.attempt)
      continue; // still walking its candidates
    auto found = on_device.find(name);
    if (found == on_device.end())
      continue; // candidates arrived for a peer that is not (yet) on the device
    const device_peer& now = found->second;
    if (now.last_handshake >= cutoff) {
      // Connected, by whatever path (an earlier attempt, the peer's own, a
      // roam): say which.
      if (now.endpoint)
        peer.connection = connection_at(peer, *now.endpoint);
      continue;
    }
    auto order = net::nat::connection_attempt_order(peer.candidates, config_.max_candidate_pairs);
    spdlog::info("NAT: connecting to peer {}: {}", name, describe(order));
    // The greater key lets the other side punch first (connect_attempt.hpp).
    bool defer = own_key && *own_key > peer.key;
    peer.attempt.emplace(std::move(order), now.endpoint, config_.hole_punch_timeout, defer);
  }
}

bool nat_traversal_state::poll() {
  pinned_device pinned(*this);
  if (!device_) {
    for (auto& [name, peer] : peers_)
      peer.attempt.reset();
    return false;
  }
  auto on_device = device_peers(device_->status());
  bool running = false;
  for (auto& [name, peer] : peers_) {
    if (!peer.attempt)
      continue;
    advance(name, peer, on_device);
    running = running || peer.attempt.has_value();
  }
  return running;
}

void nat_traversal_state::advance(const std::string& name, peer_traversal& peer,
                                  const std::map<std::string, device_peer>& on_device) {
  using action = net::nat::connect_attempt::action;
  auto found = on_device.find(name);
  if (found == on_device.end()) {
    peer.attempt.reset(); // the peer left the device
    return;
  }
  const device_peer& now = found->second;
  auto& attempt = *peer.attempt;
  auto next = attempt.next(wall_clock::now(), now.last_handshake);
  switch (next) {
  case action::switch_endpoint:
  case action::switch_quietly: {
    const candidate& c = attempt.current();
    if (c.type == candidate_type::relay && relay_client_ && relay_client_->relay_address()) {
      device_->reach_through_relay(c.address);
      if (auto permitted = relay_client_->permit(c.address.address); !permitted)
        spdlog::warn("relay {}: {}", relay_in_use_, permitted.error_message());
    }
    spdlog::debug("NAT: peer {}: trying {} {}", name, to_wire(c.type), c.address.to_string());
    set_endpoint(peer, c.address);
    if (next == action::switch_endpoint)
      device_->handshake_now(peer.key);
    break;
  }
  case action::punch:
    device_->handshake_now(peer.key);
    break;
  case action::wait:
    break;
  case action::succeeded: {
    const auto& working = now.endpoint;
    peer.connection = working ? connection_at(peer, *working)
                              : std::string(to_string(
                                  net::nat::connection_type_for(attempt.current().type)));
    spdlog::info("NAT: peer {} connected ({}) at {}", name, peer.connection,
                 working ? working->to_string() : "?");
    peer.attempt.reset();
    break;
  }
  case action::failed:
    if (attempt.previous_endpoint())
      set_endpoint(peer, *attempt.previous_endpoint());
    peer.connection = "unreachable";
    spdlog::warn("NAT: no candidate of peer {} answered; endpoint restored", name);
    peer.attempt.reset();
    break;
  }
}

void nat_traversal_state::set_endpoint(const peer_traversal& peer, const net::endpoint& to) {
  net::wg::uapi_peer_config change;
  change.public_key = peer.key;
  change.update_only = true;
  change.endpoint = to;
  net::wg::uapi_set_request set;
  set.peers.push_back(change);
  if (auto e = device_->configure(set); e.code != net::wg::uapi_errno::ok)
    spdlog::warn("NAT: endpoint update failed: {}", e.message);
}

// -- NatStatus ---------------------------------------------------------------------------------

msg::nat_status_wire nat_traversal_state::status() const {
  msg::nat_status_wire s;
  for (const auto& c : local_)
    s.candidates.push_back(to_wire(c));
  std::map<std::string, device_peer> on_device;
  if (auto device = device_owner_.lock())
    on_device = device_peers(device->status());
  for (const auto& [name, peer] : peers_) {
    if (peer.connection.empty())
      continue;
    msg::nat_peer_wire p{name, peer.connection, std::nullopt};
    if (auto e = on_device.find(name); e != on_device.end() && e->second.endpoint)
      p.remote_endpoint = e->second.endpoint->to_string();
    s.peers.push_back(std::move(p));
  }
  s.last_refresh = last_refresh_;
  return s;
}

void nat_traversal_state::publish(net::metrics::published_gauges& metrics) const {
  std::vector<net::metrics::published_gauges::sample> samples;
  std::string device = device_owner_.lock() ? device_owner_.lock()->interface() : std::string();
  for (const auto& [name, peer] : peers_) {
    if (peer.connection.empty())
      continue;
    samples.push_back({"overlayd_peer_connection_type",
                       "How a peer is reached (1 for its current type): direct, hole-punched, "
                       "relayed or unreachable.",
                       {{"device", device}, {"peer", name}, {"type", peer.connection}},
                       1});
  }
  if (relay_server_) {
    samples.push_back({"overlayd_relay_sessions", "Sessions on the built-in relay server.", {},
                       static_cast<double>(relay_server_->session_count())});
    samples.push_back({"overlayd_relay_sent_bytes_total", "Bytes the built-in relay server sent.",
                       {}, static_cast<double>(relay_server_->sent_bytes()), true});
  }
  metrics.publish(std::move(samples));
}

// -- the actor -----------------------------------------------------------------------------------

nat_traversal_actor::behavior_type
nat_traversal(nat_traversal_actor::stateful_pointer<nat_traversal_state> self,
              nat_timeouts timeouts, std::string netns,
              std::shared_ptr<net::metrics::published_gauges> metrics) {
  confine(self, netns);
  self->state.set_timeouts(timeouts);
  auto publish = [self, metrics] {
    if (metrics)
      self->state.publish(*metrics);
  };
  // One poll chain at a time, however many ticks start attempts.
  auto polling = std::make_shared<bool>(false);
  auto keep_polling = [self, polling] {
    if (*polling)
      return;
    *polling = true;
    self->delayed_send(self, poll_interval, nat_poll{});
  };
  return {
    [self](nat_configure& c) { self->state.configure(std::move(c)); },
    [self](nat_use_device& d) { self->state.use_device(std::move(d.device)); },
    [self](const nat_peer_candidates& c) { self->state.set_peer_candidates(c); },
    [self, keep_polling, publish](const nat_tick_request&) -> msg::response {
      auto answer = self->state.tick();
      if (self->state.poll()) // the first switches go out at once
        keep_polling();
      publish();
      return answer;
    },
    [self](const nat_status_request&) -> msg::response { return self->state.status(); },
    [self, polling, publish](const nat_poll&) {
      *polling = false;
      if (self->state.poll()) {
        *polling = true;
        self->delayed_send(self, poll_interval, nat_poll{});
      }
      publish();
    },
  };
}

} // namespace overlayd
