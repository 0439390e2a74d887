// The relay client's allocation lifecycle against the relay server's
// protocol logic, in memory: what goes over the wire is real frames under
// each side's key.
#include <catch2/catch.hpp>

#include <algorithm>

#include "net/relay/relay_server_state.hpp"
#include "platform/relay_client.hpp"

using namespace overlayd;
using namespace overlayd::net;
using namespace overlayd::net::relay;
using namespace std::chrono_literals;

namespace {

endpoint at(const char* text) {
  return *parse_endpoint(text);
}

// Carries a client's requests to the server state and its answers back.
struct in_memory_relay {
  relay_server_state server;
  auth_key client_key;
  endpoint client_address = at("198.51.100.1:51820");
  relay_server_state::time_point now{};
  std::uint16_t next_port = 40000;
  int exchanges = 0;

  in_memory_relay(std::size_t max_sessions, const char* server_secret, const char* client_secret)
      : server(relay_server_config{3478, at("203.0.113.10:3478"), max_sessions, 600s},
               derive_auth_key(server_secret)),
        client_key(derive_auth_key(client_secret)) {}

  platform::relay_client client() {
    return platform::relay_client(
      [this](const message& m, std::initializer_list<message_type> answers,
             std::chrono::milliseconds) -> result<message> {
        ++exchanges;
        auto bytes = encode(m, client_key);
        auto r = server.on_control(client_address, bytes->data(), bytes->size(), now,
                                   [this] { return std::optional<std::uint16_t>(next_port++); });
        for (const auto& out : r.sends) {
          auto answer = decode(out.bytes, client_key);
          if (out.to == client_address && answer
              && std::find(answers.begin(), answers.end(), type_of(*answer)) != answers.end())
            return *answer;
        }
        return make_error("no authenticated answer");
      },
      100ms);
  }
};

} // namespace

TEST_CASE("relay client: an allocation at the relay's public address", "[relay]") {
  in_memory_relay relay(100, "cluster-secret", "cluster-secret");
  auto client = relay.client();
  CHECK_FALSE(client.relay_address());
  auto address = client.allocate("node-a");
  REQUIRE(address.ok());
  CHECK(address->address.to_string() == "203.0.113.10");
  CHECK(address->port == 40000);
  CHECK(client.relay_address() == *address);
  CHECK(relay.server.session_count() == 1);
}

TEST_CASE("relay client: another credential gets no allocation", "[relay]") {
  in_memory_relay relay(100, "cluster-secret", "wrong");
  auto client = relay.client();
  auto address = client.allocate("node-a");
  REQUIRE_FALSE(address.ok());
  CHECK(address.error_message() == "no authenticated answer");
  CHECK_FALSE(client.relay_address());
  CHECK(relay.server.session_count() == 0);
  CHECK(relay.server.unauthenticated_drops() == 1);
}

TEST_CASE("relay client: a full relay says so", "[relay]") {
  in_memory_relay relay(1, "s", "s");
  auto first = relay.client();
  REQUIRE(first.allocate("a").ok());
  relay.client_address = at("198.51.100.2:51820");
  auto second = relay.client();
  auto refused = second.allocate("b");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error_message() == "allocation rejected: max sessions reached");
}

TEST_CASE("relay client: each peer IP is permitted once per allocation", "[relay]") {
  in_memory_relay relay(100, "s", "s");
  auto client = relay.client();
  CHECK_FALSE(client.permit(*ip_address::parse("203.0.113.10")).ok()); // no allocation yet
  REQUIRE(client.allocate("a").ok());
  int before = relay.exchanges;
  REQUIRE(client.permit(*ip_address::parse("203.0.113.10")).ok());
  REQUIRE(client.permit(*ip_address::parse("203.0.113.10")).ok());
  CHECK(relay.exchanges == before + 1);
}

TEST_CASE("relay client: a refresh keeps the allocation; once lost it is allocated again",
          "[relay]") {
  in_memory_relay relay(100, "s", "s");
  auto client = relay.client();
  REQUIRE(client.allocate("a").ok());
  relay.now += 500s;
  REQUIRE(client.refresh().ok());
  relay.server.expire(relay.now + 200s); // refreshed: not idle
  CHECK(relay.server.session_count() == 1);
  // Idle past its lifetime the relay forgets it; the refresh finds out.
  relay.server.expire(relay.now + 601s);
  CHECK(relay.server.session_count() == 0);
  relay.now += 601s;
  auto lost = client.refresh();
  CHECK_FALSE(lost.ok());
  CHECK_FALSE(client.relay_address());
  REQUIRE(client.allocate("a").ok());
  CHECK(relay.server.session_count() == 1);
}

TEST_CASE("relay client: deallocate frees the relay's session", "[relay]") {
  in_memory_relay relay(100, "s", "s");
  auto client = relay.client();
  REQUIRE(client.allocate("a").ok());
  client.deallocate();
  CHECK(relay.server.session_count() == 0);
  CHECK_FALSE(client.relay_address());
}
