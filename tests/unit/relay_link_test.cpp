// The device side of the relay: which datagrams are wrapped for the relay,
// and what the UDP reader makes of datagrams from it.
#include <catch2/catch.hpp>

#include <variant>

#include "platform/relay_link.hpp"

using namespace overlayd;
using namespace overlayd::net;
using overlayd::platform::relay_link;

namespace {

endpoint at(const char* text) {
  return *parse_endpoint(text);
}

const endpoint relay_server = at("203.0.113.10:3479");
const endpoint peer_allocation = at("203.0.113.10:40000");

std::vector<std::uint8_t> data_frame(const endpoint& addr, std::vector<std::uint8_t> raw) {
  return *relay::encode_data(relay::data_message{addr, std::move(raw)});
}

} // namespace

TEST_CASE("relay link: only destinations reached through the relay are wrapped", "[relay]") {
  relay_link link;
  const std::vector<std::uint8_t> wireguard{4, 0, 0, 0, 9, 9, 9};
  std::vector<std::uint8_t> frame;
  CHECK_FALSE(link.wrap(wireguard.data(), wireguard.size(), peer_allocation, frame));

  auto key = relay::derive_auth_key("s");
  link.use_server(relay_server, key);
  CHECK_FALSE(link.wrap(wireguard.data(), wireguard.size(), peer_allocation, frame));
  link.reach_through_relay(peer_allocation);
  auto to = link.wrap(wireguard.data(), wireguard.size(), peer_allocation, frame);
  REQUIRE(to);
  CHECK(*to == relay_server);
  auto decoded = relay::decode(frame, key);
  REQUIRE(decoded.ok());
  CHECK(std::get<relay::data_message>(*decoded)
        == relay::data_message{peer_allocation, wireguard});
  CHECK_FALSE(link.wrap(wireguard.data(), wireguard.size(), at("198.51.100.7:51820"), frame));

  // Another relay server: what went through the old one is forgotten.
  link.use_server(at("203.0.113.20:3479"), key);
  CHECK_FALSE(link.reached_through_relay(peer_allocation));
  link.use_server(std::nullopt, key);
  link.reach_through_relay(peer_allocation);
  CHECK_FALSE(link.wrap(wireguard.data(), wireguard.size(), peer_allocation, frame));
}

TEST_CASE("relay link: Data frames from the relay are unwrapped in place", "[relay]") {
  relay_link link;
  link.use_server(relay_server, relay::derive_auth_key("s"));
  auto frame = data_frame(peer_allocation, {1, 0, 0, 0, 42});
  std::uint8_t* data = frame.data();
  std::size_t length = frame.size();
  endpoint from = relay_server;
  REQUIRE(link.take(data, length, from) == relay_link::verdict::unwrapped);
  CHECK(from == peer_allocation);
  CHECK(length == 5);
  // At the start of its buffer, as every received datagram is.
  CHECK(std::vector<std::uint8_t>(data, data + length)
        == std::vector<std::uint8_t>{1, 0, 0, 0, 42});
  // Replies to that address go back through the relay.
  CHECK(link.reached_through_relay(peer_allocation));

  // The same bytes from anyone else are not the relay's.
  auto copy = data_frame(peer_allocation, {1, 0, 0, 0, 42});
  data = copy.data();
  length = copy.size();
  from = at("203.0.113.10:51820");
  CHECK(link.take(data, length, from) == relay_link::verdict::not_relay);
  CHECK(from == at("203.0.113.10:51820"));
}

TEST_CASE("relay link: control answers and junk from the relay never reach WireGuard",
          "[relay]") {
  relay_link link;
  auto key = relay::derive_auth_key("s");
  link.use_server(relay_server, key);
  auto unasked = *relay::encode(relay::refresh_response{600}, key);
  auto truncated = data_frame(peer_allocation, {1, 2, 3});
  truncated.resize(truncated.size() - 4);
  auto forged = *relay::encode(relay::permission_response{}, relay::derive_auth_key("x"));
  for (auto* bytes : {&unasked, &truncated, &forged}) {
    std::uint8_t* data = bytes->data();
    std::size_t length = bytes->size();
    endpoint from = relay_server;
    CHECK(link.take(data, length, from) == relay_link::verdict::taken);
  }
}
