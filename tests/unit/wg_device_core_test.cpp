// Two protocol engines joined by an in-memory "network": handshake, data
// both ways, and what must be dropped (replays, forgeries, truncations,
// spoofed sources, strangers), plus timers with shortened intervals.
#include <catch2/catch.hpp>

#include <cstring>
#include <deque>
#include <vector>

#include "net/wireguard/device_core.hpp"
#include "net/wireguard/keys.hpp"

using namespace overlayd::net;
using namespace overlayd::net::wg;
using namespace std::chrono_literals;

namespace {

// An IPv4 packet of `size` bytes from `src` to `dst` with a valid length field.
std::vector<std::uint8_t> ipv4_packet(const char* src, const char* dst, std::size_t size,
                                      std::uint8_t fill = 0xab) {
  std::vector<std::uint8_t> p(size, fill);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(size >> 8);
  p[3] = static_cast<std::uint8_t>(size);
  auto s = ip_address::parse(src)->bytes();
  auto d = ip_address::parse(dst)->bytes();
  std::memcpy(&p[12], s.data(), 4);
  std::memcpy(&p[16], d.data(), 4);
  return p;
}

struct node {
  node(const char* address, timing t = {}, unsigned crypto_threads = 1)
      : core(t, default_overlay_mtu, crypto_threads), at{*ip_address::parse(address), 51820} {
    key = generate_private_key();
    uapi_set_request set;
    set.private_key = key;
    set.listen_port = 51820;
    core.apply(set, steady_time{});
  }
  key32 public_key() const { return public_key_from_private(key); }

  void add_peer(const node& other, const char* allowed) {
    uapi_set_request set;
    uapi_peer_config peer;
    peer.public_key = other.public_key();
    peer.endpoint = other.at;
    peer.allowed_ips.push_back(*cidr::parse(allowed));
    set.peers.push_back(peer);
    core.apply(set, steady_time{});
  }

  device_core core;
  endpoint at;
  key32 key;
  std::vector<std::vector<std::uint8_t>> delivered;
};

struct datagram {
  std::vector<std::uint8_t> bytes;
  endpoint from;
  endpoint to;
};

struct network {
  network(node& first, node& second) : a(first), b(second) {}

  node& a;
  node& b;
  steady_time now{std::chrono::seconds(1000)};
  wall_time wall{std::chrono::seconds(1'700'000'000)};
  std::deque<datagram> in_flight;

  node& at(const endpoint& e) { return e == a.at ? a : b; }
  node& other(node& n) { return &n == &a ? b : a; }

  void take(node& from, std::vector<outgoing_datagram>& out) {
    for (auto& d : out)
      in_flight.push_back({std::move(d.bytes), from.at, d.to});
    out.clear();
  }

  // Sends an IP packet from `n`; returns whether it went out at once.
  bool send(node& n, const std::vector<std::uint8_t>& packet) {
    std::vector<std::uint8_t> buffer(packet.size() + 64);
    std::memcpy(buffer.data() + transport::header_size, packet.data(), packet.size());
    seal_slot slot{buffer.data(), packet.size(), buffer.size(), 0, {}};
    n.core.seal_batch(&slot, 1, now);
    if (slot.message_length == 0)
      return false;
    buffer.resize(slot.message_length);
    in_flight.push_back({std::move(buffer), n.at, slot.to});
    return true;
  }

  // Hands one datagram to its destination.
  open_slot::verdict deliver(datagram d) {
    node& to = at(d.to);
    open_slot slot{d.bytes.data(), d.bytes.size(), d.from};
    to.core.open_batch(&slot, 1, now);
    if (slot.result == open_slot::verdict::deliver)
      to.delivered.emplace_back(slot.packet, slot.packet + slot.packet_length);
    if (slot.result == open_slot::verdict::control) {
      std::vector<outgoing_datagram> out;
      to.core.handle_control(d.bytes.data(), d.bytes.size(), d.from, now, wall, out);
      take(to, out);
    }
    return slot.result;
  }

  void tick(node& n) {
    std::vector<outgoing_datagram> out;
    n.core.tick(now, wall, out);
    take(n, out);
  }

  // Runs both sides' timers and delivers until nothing moves.
  void settle() {
    for (int round = 0; round < 20; ++round) {
      tick(a);
      tick(b);
      if (in_flight.empty())
        return;
      while (!in_flight.empty()) {
        auto d = std::move(in_flight.front());
        in_flight.pop_front();
        deliver(std::move(d));
      }
    }
  }
};

struct pair_fixture {
  explicit pair_fixture(timing t = {}, unsigned crypto_threads = 1)
      : a("192.0.2.1", t, crypto_threads), b("192.0.2.2", t, crypto_threads), net{a, b} {
    a.add_peer(b, "10.0.0.2/32");
    b.add_peer(a, "10.0.0.1/32");
  }
  node a;
  node b;
  network net;
};

} // namespace

TEST_CASE("device core: first packet waits for the handshake, then both ways flow",
          "[wireguard]") {
  pair_fixture f;
  auto hello = ipv4_packet("10.0.0.1", "10.0.0.2", 100);
  CHECK_FALSE(f.net.send(f.a, hello)); // staged until a session exists
  f.net.settle();
  REQUIRE(f.b.delivered.size() == 1);
  CHECK(f.b.delivered[0] == hello);

  auto reply = ipv4_packet("10.0.0.2", "10.0.0.1", 333, 0x11);
  REQUIRE(f.net.send(f.b, reply)); // the responder's session is confirmed by now
  f.net.settle();
  REQUIRE(f.a.delivered.size() == 1);
  CHECK(f.a.delivered[0] == reply); // padding removed by the IP length

  auto status = f.a.core.status();
  REQUIRE(status.peers.size() == 1);
  CHECK(status.peers[0].last_handshake_time_sec == 1'700'000'000);
  CHECK(status.peers[0].tx_bytes > 0);
  CHECK(status.peers[0].rx_bytes > 0);
  CHECK(status.peers[0].allowed_ips.at(0).to_string() == "10.0.0.2/32");
}

TEST_CASE("device core: replayed, reordered, truncated and forged data", "[wireguard]") {
  pair_fixture f;
  f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
  f.net.settle();
  REQUIRE(f.b.delivered.size() == 1);

  std::vector<datagram> sent;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60 + i)));
    sent.push_back(f.net.in_flight.back());
    f.net.in_flight.pop_back();
  }
  // Reordered: all arrive.
  CHECK(f.net.deliver(sent[2]) == open_slot::verdict::deliver);
  CHECK(f.net.deliver(sent[0]) == open_slot::verdict::deliver);
  CHECK(f.net.deliver(sent[1]) == open_slot::verdict::deliver);
  // Replayed: dropped and counted.
  CHECK(f.net.deliver(sent[1]) == open_slot::verdict::drop);
  CHECK(f.b.core.drops().replayed == 1);

  REQUIRE(f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 80)));
  auto good = f.net.in_flight.back();
  f.net.in_flight.pop_back();
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{16}, std::size_t{31},
                          good.bytes.size() - 1}) {
    auto truncated = good;
    truncated.bytes.resize(cut);
    CHECK(f.net.deliver(truncated) == open_slot::verdict::drop);
  }
  for (std::size_t at : {std::size_t{4}, std::size_t{8}, std::size_t{20}, good.bytes.size() - 1}) {
    auto forged = good;
    forged.bytes[at] ^= 0x01;
    CHECK(f.net.deliver(forged) == open_slot::verdict::drop);
  }
  CHECK(f.b.core.drops().forged >= 2);
  // The genuine one still arrives after all that: no forgery moved the window.
  CHECK(f.net.deliver(good) == open_slot::verdict::deliver);
}

TEST_CASE("device core: a peer may only send from its allowed IPs", "[wireguard]") {
  pair_fixture f;
  f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
  f.net.settle();
  REQUIRE(f.net.send(f.a, ipv4_packet("10.0.0.99", "10.0.0.2", 60)));
  auto spoofed = f.net.in_flight.back();
  f.net.in_flight.pop_back();
  CHECK(f.net.deliver(spoofed) == open_slot::verdict::drop);
  CHECK(f.b.core.drops().wrong_source == 1);
}

TEST_CASE("device core: a stranger's initiation gets no answer", "[wireguard]") {
  pair_fixture f;
  node stranger("192.0.2.9");
  stranger.add_peer(f.b, "10.0.0.2/32");
  network to_b{stranger, f.b};
  to_b.send(stranger, ipv4_packet("10.0.0.9", "10.0.0.2", 60));
  to_b.tick(stranger);
  REQUIRE(to_b.in_flight.size() == 1);
  CHECK(to_b.deliver(to_b.in_flight.front()) == open_slot::verdict::control);
  to_b.in_flight.pop_front();
  CHECK(to_b.in_flight.empty());
  CHECK(f.b.core.drops().handshake_rejected == 1);
}

TEST_CASE("device core: sessions rotate, keepalives answer, keys expire", "[wireguard]") {
  timing fast;
  fast.rekey_after_time = 2s;
  fast.reject_after_time = 3s;
  fast.rekey_timeout = 500ms;
  fast.keepalive_timeout = 1s;
  fast.rekey_timeout_jitter = 0ms;
  pair_fixture f(fast);
  f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
  f.net.settle();
  auto first = f.a.core.status().peers[0].last_handshake_time_sec;

  // B got data and said nothing: after the keepalive timeout it sends one.
  f.net.now += 1100ms;
  f.net.tick(f.b);
  REQUIRE(f.net.in_flight.size() == 1);
  CHECK(f.net.deliver(f.net.in_flight.front()) == open_slot::verdict::drop); // a keepalive
  f.net.in_flight.clear();

  // Past rekey_after_time the initiator's next packet asks for a new session.
  f.net.now += 1500ms;
  f.net.wall += 3s;
  REQUIRE(f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60)));
  f.net.settle();
  CHECK(f.a.core.status().peers[0].last_handshake_time_sec == first + 3);
  std::size_t before = f.b.delivered.size();
  REQUIRE(f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 61)));
  f.net.settle();
  CHECK(f.b.delivered.size() == before + 1);

  // Silence past 3 x reject_after_time: every key is gone, sending stages again.
  f.net.now += 10s;
  f.net.tick(f.a);
  f.net.in_flight.clear();
  CHECK_FALSE(f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 62)));
}

TEST_CASE("device core: UAPI-style changes in place", "[wireguard]") {
  pair_fixture f;
  uapi_set_request set;
  uapi_peer_config change;
  change.public_key = f.b.public_key();
  change.update_only = true;
  change.replace_allowed_ips = true;
  change.allowed_ips = {*cidr::parse("10.9.0.5/24"), *cidr::parse("fd00::/64")};
  change.persistent_keepalive_interval = 25;
  change.endpoint = endpoint{*ip_address::parse("198.51.100.7"), 4242};
  set.peers.push_back(change);
  CHECK(f.a.core.apply(set, f.net.now).code == uapi_errno::ok);
  auto s = f.a.core.status();
  REQUIRE(s.peers.size() == 1);
  REQUIRE(s.peers[0].allowed_ips.size() == 2);
  CHECK(s.peers[0].allowed_ips[0].to_string() == "10.9.0.0/24");
  CHECK(s.peers[0].persistent_keepalive_interval == 25);
  CHECK(s.peers[0].endpoint->to_string() == "198.51.100.7:4242");

  // update_only never creates; remove removes.
  uapi_set_request unknown;
  uapi_peer_config stranger;
  stranger.public_key = public_key_from_private(generate_private_key());
  stranger.update_only = true;
  unknown.peers.push_back(stranger);
  f.a.core.apply(unknown, f.net.now);
  CHECK(f.a.core.peer_count() == 1);
  uapi_set_request removal;
  uapi_peer_config gone;
  gone.public_key = f.b.public_key();
  gone.remove = true;
  removal.peers.push_back(gone);
  f.a.core.apply(removal, f.net.now);
  CHECK(f.a.core.peer_count() == 0);
}

TEST_CASE("device core: steady traffic into silence starts a new handshake", "[wireguard]") {
  timing fast;
  fast.keepalive_timeout = 1s;
  fast.rekey_timeout = 500ms;
  fast.rekey_timeout_jitter = 0ms;
  pair_fixture f(fast);
  f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
  f.net.settle();
  // B vanishes; A keeps sending every 200 ms. Each packet is fresh data,
  // yet 1.5 s after the first unanswered one A must handshake again.
  bool initiated = false;
  for (int i = 0; i < 10 && !initiated; ++i) {
    f.net.now += 200ms;
    f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
    f.net.in_flight.clear(); // lost
    std::vector<outgoing_datagram> out;
    f.a.core.tick(f.net.now, f.net.wall, out);
    for (const auto& d : out)
      initiated = initiated || read_message_type(d.bytes.data(), d.bytes.size()) == 1;
  }
  CHECK(initiated);
}

TEST_CASE("device core: a peer's endpoint follows its authenticated packets", "[wireguard]") {
  pair_fixture f;
  f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
  f.net.settle();
  REQUIRE(f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60)));
  auto moved = f.net.in_flight.back();
  f.net.in_flight.pop_back();
  moved.from = endpoint{*ip_address::parse("198.51.100.20"), 40000}; // A's NAT rebound
  // A forgery from elsewhere does not move it.
  auto forged = moved;
  forged.from = endpoint{*ip_address::parse("203.0.113.66"), 666};
  forged.bytes[20] ^= 1;
  CHECK(f.net.deliver(forged) == open_slot::verdict::drop);
  CHECK(f.b.core.status().peers[0].endpoint->to_string() == "192.0.2.1:51820");
  CHECK(f.net.deliver(moved) == open_slot::verdict::deliver);
  CHECK(f.b.core.status().peers[0].endpoint->to_string() == "198.51.100.20:40000");
}

TEST_CASE("device core: four crypto threads keep a batch's order, counters and drops",
          "[wireguard]") {
  pair_fixture f({}, 4);
  f.net.send(f.a, ipv4_packet("10.0.0.1", "10.0.0.2", 60));
  f.net.settle();
  REQUIRE(f.b.delivered.size() == 1);
  f.b.delivered.clear();

  // One batch of 64 packets of every size, each filled with its index.
  constexpr std::size_t count = 64;
  std::vector<std::vector<std::uint8_t>> packets;
  std::vector<std::vector<std::uint8_t>> buffers;
  std::vector<seal_slot> seal(count);
  for (std::size_t i = 0; i < count; ++i) {
    packets.push_back(ipv4_packet("10.0.0.1", "10.0.0.2", 40 + i * 21,
                                  static_cast<std::uint8_t>(i)));
    buffers.emplace_back(packets[i].size() + 64);
    std::memcpy(buffers[i].data() + transport::header_size, packets[i].data(), packets[i].size());
    seal[i] = seal_slot{buffers[i].data(), packets[i].size(), buffers[i].size(), 0, {}};
  }
  f.a.core.seal_batch(seal.data(), count, f.net.now);
  std::uint64_t previous_counter = 0;
  for (std::size_t i = 0; i < count; ++i) {
    REQUIRE(seal[i].message_length > 0);
    buffers[i].resize(seal[i].message_length);
    std::uint64_t counter = 0;
    std::memcpy(&counter, buffers[i].data() + transport::counter, 8); // little-endian host
    if (i > 0)
      CHECK(counter == previous_counter + 1); // taken in the batch's order
    previous_counter = counter;
  }

  // The batch arrives with a forgery of packet 10 in its midst and packet 5
  // again at its end.
  std::vector<std::vector<std::uint8_t>> arriving = buffers;
  auto forged = buffers[10];
  forged[forged.size() - 1] ^= 1;
  arriving.insert(arriving.begin() + 20, forged);
  arriving.push_back(buffers[5]);
  std::vector<open_slot> open;
  for (auto& bytes : arriving)
    open.push_back(open_slot{bytes.data(), bytes.size(), f.a.at});
  f.b.core.open_batch(open.data(), open.size(), f.net.now);

  std::vector<std::vector<std::uint8_t>> delivered;
  for (const auto& slot : open)
    if (slot.result == open_slot::verdict::deliver)
      delivered.emplace_back(slot.packet, slot.packet + slot.packet_length);
  CHECK(delivered == packets); // every packet, intact, in its order
  CHECK(open[20].result == open_slot::verdict::drop);
  CHECK(open.back().result == open_slot::verdict::drop);
  CHECK(f.b.core.drops().forged == 1);
  CHECK(f.b.core.drops().replayed == 1);
}
