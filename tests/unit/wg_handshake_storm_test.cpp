// A handshake storm (issue 14): 1,000 initiators at once against one
// device that already carries data to another peer. Under load every
// initiation first gets a cookie reply (whitepaper 5.3), the retries that
// carry the cookie's mac2 get responses, a retry from another address
// than the cookie's gets a cookie again, and all 1,000 sessions then carry
// data; between the storm's messages the existing peer's data keeps being
// opened and delivered. Without load the initiations are answered at once.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "net/wireguard/device_core.hpp"
#include "net/wireguard/keys.hpp"

using namespace overlayd::net;
using namespace overlayd::net::wg;

namespace {

constexpr unsigned storm_size = 1000;

std::uint32_t type_of(const outgoing_datagram& d) {
  return read_message_type(d.bytes.data(), d.bytes.size());
}

// An IPv4 packet of `size` bytes from `src` to `dst`.
std::vector<std::uint8_t> ipv4_packet(std::uint32_t src, std::uint32_t dst, std::size_t size) {
  std::vector<std::uint8_t> p(size, 0x5a);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(size >> 8);
  p[3] = static_cast<std::uint8_t>(size);
  auto s = ip_address::v4(src).bytes();
  auto d = ip_address::v4(dst).bytes();
  std::memcpy(&p[12], s.data(), 4);
  std::memcpy(&p[16], d.data(), 4);
  return p;
}

struct engine {
  explicit engine(endpoint where) : at(where) {
    uapi_set_request set;
    set.private_key = key;
    set.listen_port = where.port;
    core.apply(set, steady_time{});
  }
  key32 public_key() const { return public_key_from_private(key); }

  key32 key = generate_private_key();
  device_core core;
  endpoint at;
};

uapi_peer_config peer_of(const engine& e, std::uint32_t allowed_host) {
  uapi_peer_config peer;
  peer.public_key = e.public_key();
  peer.endpoint = e.at;
  peer.allowed_ips.push_back(cidr{ip_address::v4(allowed_host), 32});
  return peer;
}

constexpr std::uint32_t responder_ip = 0x0A000001; // 10.0.0.1
constexpr std::uint32_t existing_ip = 0x0A000002;  // 10.0.0.2, peer B
std::uint32_t initiator_ip(unsigned i) { return 0x0A010000 + i; } // 10.1.x.y

struct storm {
  storm() : responder(endpoint{ip_address::v4(0xC0000201), 51820}),
            existing(endpoint{ip_address::v4(0xC0000202), 51820}) {
    uapi_set_request set;
    set.peers.push_back(peer_of(existing, existing_ip));
    for (unsigned i = 0; i < storm_size; ++i) {
      initiators.push_back(std::make_unique<engine>(
        endpoint{ip_address::v4(0xC6120000 + i), static_cast<std::uint16_t>(40000 + i)}));
      set.peers.push_back(peer_of(*initiators.back(), initiator_ip(i)));
      uapi_set_request back;
      back.peers.push_back(peer_of(responder, responder_ip));
      initiators.back()->core.apply(back, steady_time{});
    }
    REQUIRE(responder.core.apply(set, steady_time{}).code == uapi_errno::ok);
    uapi_set_request back;
    back.peers.push_back(peer_of(responder, responder_ip));
    existing.core.apply(back, steady_time{});
    // B's session, before the storm.
    auto initiation = start_handshake(existing);
    REQUIRE(initiation.size() == 1);
    auto response = to_responder(initiation[0], existing.at);
    REQUIRE(response.size() == 1);
    REQUIRE(type_of(response[0]) == 2);
    std::vector<outgoing_datagram> none;
    existing.core.handle_control(response[0].bytes.data(), response[0].bytes.size(),
                                 responder.at, now, wall, none);
    REQUIRE(existing_data_delivered() == 64);
  }

  // Asks `e` for a handshake now; the initiation it sends.
  std::vector<outgoing_datagram> start_handshake(engine& e) {
    REQUIRE(e.core.handshake_now(responder.public_key()));
    std::vector<outgoing_datagram> out;
    e.core.tick(now, wall, out);
    return out;
  }

  std::vector<outgoing_datagram> to_responder(const outgoing_datagram& d, const endpoint& from) {
    std::vector<outgoing_datagram> out;
    responder.core.handle_control(d.bytes.data(), d.bytes.size(), from, now, wall, out);
    return out;
  }

  // 64 packets of 1,400 bytes from `from` (at `source`) sealed and opened
  // by the responder in one batch each; how many were delivered.
  std::size_t data_delivered(engine& from, std::uint32_t source, std::size_t count = 64) {
    std::vector<std::vector<std::uint8_t>> buffers;
    std::vector<seal_slot> seal(count);
    for (std::size_t i = 0; i < count; ++i) {
      auto packet = ipv4_packet(source, responder_ip, 1400);
      buffers.emplace_back(packet.size() + 64);
      std::memcpy(buffers[i].data() + transport::header_size, packet.data(), packet.size());
      seal[i] = seal_slot{buffers[i].data(), packet.size(), buffers[i].size(), 0, {}};
    }
    from.core.seal_batch(seal.data(), count, now);
    std::vector<open_slot> open;
    for (std::size_t i = 0; i < count; ++i)
      if (seal[i].message_length > 0)
        open.push_back(open_slot{buffers[i].data(), seal[i].message_length, from.at});
    responder.core.open_batch(open.data(), open.size(), now);
    std::size_t delivered = 0;
    for (const auto& slot : open)
      delivered += slot.result == open_slot::verdict::deliver ? 1 : 0;
    return delivered;
  }
  std::size_t existing_data_delivered() { return data_delivered(existing, existing_ip); }

  engine responder;
  engine existing;
  std::vector<std::unique_ptr<engine>> initiators;
  steady_time now{std::chrono::seconds(1000)};
  wall_time wall{std::chrono::seconds(1'700'000'000)};
};

// How long the responder took per initiation since `start` (the data
// batches in between included); printed, never asserted.
void print_rate(const char* what, std::chrono::steady_clock::time_point start) {
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  std::printf("handshake storm, %s: %u initiations, %.1f us each\n", what, storm_size,
              took.count() / storm_size);
}

} // namespace

TEST_CASE("handshake storm: 1,000 initiations under load get cookies, then sessions",
          "[wireguard]") {
  storm s;
  s.responder.core.set_under_load(true);

  // Round 1: every initiation at once; each is answered with a cookie reply.
  std::vector<outgoing_datagram> initiations;
  for (auto& e : s.initiators) {
    auto out = s.start_handshake(*e);
    REQUIRE(out.size() == 1);
    REQUIRE(type_of(out[0]) == 1);
    initiations.push_back(std::move(out[0]));
  }
  std::size_t cookies = 0, responses = 0, data = 0;
  std::vector<outgoing_datagram> replies;
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < storm_size; ++i) {
    for (auto& d : s.to_responder(initiations[i], s.initiators[i]->at)) {
      cookies += type_of(d) == 3 ? 1 : 0;
      responses += type_of(d) == 2 ? 1 : 0;
      replies.push_back(std::move(d));
    }
    if (i % 50 == 49)
      data += s.existing_data_delivered();
  }
  print_rate("under load, cookie replies", start);
  CHECK(cookies == storm_size);
  CHECK(responses == 0);
  CHECK(data == 64 * storm_size / 50); // the existing peer's data kept flowing
  REQUIRE(replies.size() == storm_size);

  // The initiators take their cookies and retry at once, now with mac2.
  std::vector<outgoing_datagram> retries;
  for (unsigned i = 0; i < storm_size; ++i) {
    std::vector<outgoing_datagram> none;
    s.initiators[i]->core.handle_control(replies[i].bytes.data(), replies[i].bytes.size(),
                                         s.responder.at, s.now, s.wall, none);
    s.wall += std::chrono::milliseconds(1); // a later timestamp than the refused one
    auto out = s.start_handshake(*s.initiators[i]);
    REQUIRE(out.size() == 1);
    retries.push_back(std::move(out[0]));
  }

  // A cookie binds the address it was sent to: the same retry from elsewhere
  // is refused with another cookie.
  auto elsewhere = s.to_responder(retries[0], s.initiators[1]->at);
  REQUIRE(elsewhere.size() == 1);
  CHECK(type_of(elsewhere[0]) == 3);

  // Round 2: every retry is answered with a response.
  cookies = responses = data = 0;
  start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < storm_size; ++i) {
    for (auto& d : s.to_responder(retries[i], s.initiators[i]->at)) {
      cookies += type_of(d) == 3 ? 1 : 0;
      if (type_of(d) == 2) {
        ++responses;
        std::vector<outgoing_datagram> none;
        s.initiators[i]->core.handle_control(d.bytes.data(), d.bytes.size(), s.responder.at,
                                             s.now, s.wall, none);
      }
    }
    if (i % 50 == 49)
      data += s.existing_data_delivered();
  }
  print_rate("under load, retries with mac2 answered", start);
  CHECK(cookies == 0);
  CHECK(responses == storm_size);
  CHECK(data == 64 * storm_size / 50);

  // Every new session carries data, delivered as from its own peer.
  std::size_t sessions_with_data = 0;
  for (unsigned i = 0; i < storm_size; ++i)
    sessions_with_data += s.data_delivered(*s.initiators[i], initiator_ip(i), 1) == 1 ? 1 : 0;
  CHECK(sessions_with_data == storm_size);
  CHECK(s.responder.core.drops().wrong_source == 0);
}

TEST_CASE("handshake storm: without load 1,000 initiations are answered at once",
          "[wireguard]") {
  storm s;
  std::size_t responses = 0;
  std::vector<outgoing_datagram> initiations;
  for (unsigned i = 0; i < storm_size; ++i) {
    auto out = s.start_handshake(*s.initiators[i]);
    REQUIRE(out.size() == 1);
    initiations.push_back(std::move(out[0]));
  }
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < storm_size; ++i)
    for (auto& d : s.to_responder(initiations[i], s.initiators[i]->at))
      responses += type_of(d) == 2 ? 1 : 0;
  print_rate("without load, answered", start);
  CHECK(responses == storm_size);
  CHECK(s.existing_data_delivered() == 64);
}
