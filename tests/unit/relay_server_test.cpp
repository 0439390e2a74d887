// The relay server: its protocol logic against a fake clock and fake relay
// ports (nat_transport.md 5.3, DECISIONS.md 21), then the real server on
// loopback carrying a datagram from one client to another.
#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/relay/relay_key.hpp"
#include "net/relay/relay_message.hpp"
#include "net/relay/relay_server_state.hpp"
#include "platform/relay_server.hpp"
#include "platform/udp_socket.hpp"

using namespace overlayd::net;
using namespace overlayd::net::relay;
using std::chrono::seconds;

namespace {

endpoint ep(const char* text) {
  auto e = parse_endpoint(text);
  REQUIRE(e);
  return *e;
}

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

// Documentation addresses: the logic tests never touch a socket.
const endpoint external = *parse_endpoint("203.0.113.7:3478");
const endpoint client_a = *parse_endpoint("198.51.100.1:40001");
const endpoint client_b = *parse_endpoint("198.51.100.2:40002");
const endpoint outside_peer = *parse_endpoint("192.0.2.9:5000");

// A relay_server_state with relay ports handed out from 50000 up and a
// clock that only moves when a test says so.
struct harness {
  auth_key key = derive_auth_key("test");
  relay_server_state state;
  std::uint16_t next_port = 50000;
  int binds = 0;
  bool bind_fails = false;
  relay_server_state::time_point now{};

  explicit harness(relay_server_config config = make_config())
      : state(config, derive_auth_key("test")) {}

  static relay_server_config make_config() {
    relay_server_config c;
    c.external_addr = external;
    c.max_sessions = 10;
    return c;
  }

  relay_server_state::reaction raw(const endpoint& from, const std::vector<std::uint8_t>& b) {
    return state.on_control(from, b.data(), b.size(), now,
                            [this]() -> std::optional<std::uint16_t> {
                              ++binds;
                              if (bind_fails)
                                return std::nullopt;
                              return next_port++;
                            });
  }

  relay_server_state::reaction control(const endpoint& from, const message& m,
                                       const auth_key& with) {
    auto b = encode(m, with);
    REQUIRE(b.ok());
    return raw(from, *b);
  }
  relay_server_state::reaction control(const endpoint& from, const message& m) {
    return control(from, m, key);
  }

  relay_server_state::reaction data(const endpoint& from, const endpoint& to,
                                    const std::string& text) {
    auto b = encode_data(data_message{to, bytes_of(text)});
    REQUIRE(b.ok());
    return raw(from, *b);
  }

  // The one reply the server sent back on its control socket to `to`.
  message reply(const relay_server_state::reaction& r, const endpoint& to) {
    REQUIRE(r.sends.size() == 1);
    CHECK_FALSE(r.sends[0].via_allocation_port);
    CHECK(r.sends[0].to == to);
    auto m = decode(r.sends[0].bytes, key);
    REQUIRE(m.ok());
    return *m;
  }

  allocate_response allocate(const endpoint& from) {
    auto m = reply(control(from, allocate_request{std::string("node")}), from);
    REQUIRE(std::holds_alternative<allocate_response>(m));
    return std::get<allocate_response>(m);
  }

  void permit(const endpoint& from, const allocation_id& id, const endpoint& peer) {
    auto m = reply(control(from, permission_request{id, peer}), from);
    REQUIRE(std::holds_alternative<permission_response>(m));
  }
};

data_message as_data(const std::vector<std::uint8_t>& frame) {
  auto m = decode(frame, auth_key{});
  REQUIRE(m.ok());
  REQUIRE(std::holds_alternative<data_message>(*m));
  return std::get<data_message>(*m);
}

} // namespace

TEST_CASE("relay server: allocate answers with a relay address on the external IP", "[relay]") {
  harness h;
  auto r = h.control(client_a, allocate_request{std::string("node")});
  auto m = h.reply(r, client_a);
  REQUIRE(std::holds_alternative<allocate_response>(m));
  const auto& resp = std::get<allocate_response>(m);
  CHECK(resp.relay_addr == endpoint{external.address, 50000});
  CHECK(resp.lifetime == 600);
  CHECK(resp.id != allocation_id{});
  CHECK(h.state.session_count() == 1);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].what == relay_server_state::event::kind::allocated);

  // The tag is the server's: a client with another key cannot read it.
  CHECK_FALSE(decode(r.sends[0].bytes, derive_auth_key("other")).ok());
}

TEST_CASE("relay server: a wrong key gets no answer and is counted", "[relay]") {
  harness h;
  auto r = h.control(client_a, allocate_request{std::string("node")}, derive_auth_key("wrong"));
  CHECK(r.sends.empty());
  CHECK(h.binds == 0);
  CHECK(h.state.session_count() == 0);
  CHECK(h.state.unauthenticated_drops() == 1);

  SECTION("a truncated control frame is unauthenticated too") {
    auto b = *encode(allocate_request{std::string("node")}, h.key);
    b.resize(b.size() - 1);
    CHECK(h.raw(client_a, b).sends.empty());
    CHECK(h.state.unauthenticated_drops() == 2);
  }
  SECTION("so is any other control type with a bad tag") {
    CHECK(h.control(client_a, refresh_request{allocation_id{}, 60}, derive_auth_key("wrong"))
              .sends.empty());
    CHECK(h.state.unauthenticated_drops() == 2);
  }
}

TEST_CASE("relay server: response types and unknown types are dropped", "[relay]") {
  harness h;
  h.allocate(client_a);
  const std::vector<message> responses = {
      allocate_response{external, allocation_id{}, 600}, allocate_error{"x"},
      permission_response{}, refresh_response{60}};
  for (const auto& m : responses)
    CHECK(h.control(client_a, m).sends.empty());
  CHECK(h.raw(client_a, {0x42, 0x00, 0x00}).sends.empty());
  CHECK(h.raw(client_a, {}).sends.empty());
  CHECK(h.state.session_count() == 1);
  CHECK(h.state.unauthenticated_drops() == 0);
}

TEST_CASE("relay server: max sessions is refused with its reason", "[relay]") {
  auto config = harness::make_config();
  config.max_sessions = 2;
  harness h(config);
  h.allocate(client_a);
  h.allocate(client_b);
  const endpoint third = ep("198.51.100.3:40003");
  auto r = h.control(third, allocate_request{std::string("node")});
  auto m = h.reply(r, third);
  REQUIRE(std::holds_alternative<allocate_error>(m));
  CHECK(std::get<allocate_error>(m).reason == reason_max_sessions);
  CHECK(h.binds == 2);
  CHECK(h.state.session_count() == 2);

  SECTION("an owner allocating again is still answered when the server is full") {
    CHECK(h.allocate(client_a).relay_addr.port == 50000);
  }
}

TEST_CASE("relay server: max_sessions 0 means the default of 100", "[relay]") {
  auto config = harness::make_config();
  config.max_sessions = 0;
  harness h(config);
  CHECK(h.state.config().max_sessions == 100);
}

TEST_CASE("relay server: a failed relay bind is refused with its reason", "[relay]") {
  harness h;
  h.bind_fails = true;
  auto m = h.reply(h.control(client_a, allocate_request{std::nullopt}), client_a);
  REQUIRE(std::holds_alternative<allocate_error>(m));
  CHECK(std::get<allocate_error>(m).reason == reason_bind_failed);
  CHECK(h.state.session_count() == 0);
}

TEST_CASE("relay server: the same source allocating twice gets the same allocation",
          "[relay]") {
  harness h;
  auto first = h.allocate(client_a);
  h.now += seconds(100);
  auto second = h.allocate(client_a);
  CHECK(second.relay_addr == first.relay_addr);
  CHECK(second.id == first.id);
  CHECK(h.binds == 1);
  CHECK(h.state.session_count() == 1);
  // It counted as activity: 600 s from the second allocate, not the first.
  h.now += seconds(599);
  CHECK(h.state.expire(h.now).closed_ports.empty());

  SECTION("another port of the same host is another client") {
    auto other = h.allocate(ep("198.51.100.1:40099"));
    CHECK(other.id != first.id);
    CHECK(h.state.session_count() == 2);
  }
}

TEST_CASE("relay server: outbound forwarding needs a permission", "[relay]") {
  harness h;
  auto a = h.allocate(client_a);
  CHECK(h.data(client_a, outside_peer, "hello").sends.empty());

  // The port does not matter: permissions hold IPs.
  h.permit(client_a, a.id, endpoint{outside_peer.address, 1});
  auto r = h.data(client_a, outside_peer, "hello");
  REQUIRE(r.sends.size() == 1);
  CHECK(r.sends[0].via_allocation_port == a.relay_addr.port);
  CHECK(r.sends[0].to == outside_peer);
  CHECK(r.sends[0].bytes == bytes_of("hello"));

  SECTION("data from a source without an allocation is dropped") {
    CHECK(h.data(client_b, outside_peer, "hello").sends.empty());
  }
}

TEST_CASE("relay server: inbound datagrams need a permission", "[relay]") {
  harness h;
  auto a = h.allocate(client_a);
  const auto payload = bytes_of("from outside");
  CHECK(h.state.on_allocation(a.relay_addr.port, outside_peer, payload.data(), payload.size())
            .sends.empty());

  h.permit(client_a, a.id, outside_peer);
  auto r = h.state.on_allocation(a.relay_addr.port, outside_peer, payload.data(), payload.size());
  REQUIRE(r.sends.size() == 1);
  CHECK_FALSE(r.sends[0].via_allocation_port);
  CHECK(r.sends[0].to == client_a);
  auto d = as_data(r.sends[0].bytes);
  CHECK(d.addr == outside_peer);
  CHECK(d.raw == payload);

  SECTION("a port without an allocation is dropped") {
    CHECK(h.state.on_allocation(1234, outside_peer, payload.data(), payload.size())
              .sends.empty());
  }
}

TEST_CASE("relay server: data to another allocation is delivered inside the server",
          "[relay]") {
  harness h;
  auto a = h.allocate(client_a);
  auto b = h.allocate(client_b);

  // B has not permitted the relay's IP yet.
  CHECK(h.data(client_a, b.relay_addr, "ping").sends.empty());
  // A permitting B changes nothing: it is the target that decides.
  h.permit(client_a, a.id, b.relay_addr);
  CHECK(h.data(client_a, b.relay_addr, "ping").sends.empty());

  h.permit(client_b, b.id, a.relay_addr);
  auto r = h.data(client_a, b.relay_addr, "ping");
  REQUIRE(r.sends.size() == 1);
  CHECK_FALSE(r.sends[0].via_allocation_port); // never through the network
  CHECK(r.sends[0].to == client_b);
  auto d = as_data(r.sends[0].bytes);
  CHECK(d.addr == a.relay_addr);
  CHECK(d.raw == bytes_of("ping"));

  SECTION("and back") {
    auto back = h.data(client_b, a.relay_addr, "pong");
    REQUIRE(back.sends.size() == 1);
    CHECK(back.sends[0].to == client_a);
    CHECK(as_data(back.sends[0].bytes).addr == b.relay_addr);
  }
  SECTION("a port on the external IP without an allocation goes out like any peer") {
    const endpoint elsewhere{external.address, 3478};
    auto out = h.data(client_a, elsewhere, "x");
    REQUIRE(out.sends.size() == 1);
    CHECK(out.sends[0].via_allocation_port == a.relay_addr.port);
    CHECK(out.sends[0].to == elsewhere);
  }
}

TEST_CASE("relay server: permissions need the owner and are capped", "[relay]") {
  harness h;
  auto a = h.allocate(client_a);
  CHECK(h.control(client_b, permission_request{a.id, outside_peer}).sends.empty());
  CHECK(h.control(client_a, permission_request{allocation_id{}, outside_peer}).sends.empty());
  CHECK(h.data(client_a, outside_peer, "x").sends.empty());

  for (std::uint32_t i = 0; i < max_permissions; ++i)
    h.permit(client_a, a.id, endpoint{ip_address::v4(0x0a000000u + i), 1});
  // An IP already there is answered, one beyond the cap is not.
  h.permit(client_a, a.id, endpoint{ip_address::v4(0x0a000000u), 2});
  CHECK(h.control(client_a, permission_request{a.id, outside_peer}).sends.empty());
  CHECK(h.data(client_a, outside_peer, "x").sends.empty());
}

TEST_CASE("relay server: refresh is capped and 0 removes the allocation", "[relay]") {
  harness h;
  auto a = h.allocate(client_a);
  auto refresh = [&](std::uint32_t lifetime) {
    auto m = h.reply(h.control(client_a, refresh_request{a.id, lifetime}), client_a);
    REQUIRE(std::holds_alternative<refresh_response>(m));
    return std::get<refresh_response>(m).lifetime;
  };
  CHECK(refresh(100000) == 600);
  CHECK(refresh(60) == 60);

  SECTION("the granted lifetime is what expiry uses") {
    h.now += seconds(59);
    CHECK(h.state.expire(h.now).closed_ports.empty());
    h.now += seconds(1);
    CHECK(h.state.expire(h.now).closed_ports == std::vector<std::uint16_t>{a.relay_addr.port});
  }
  SECTION("a refresh by another client is ignored") {
    CHECK(h.control(client_b, refresh_request{a.id, 0}).sends.empty());
    CHECK(h.state.session_count() == 1);
  }
  SECTION("lifetime 0") {
    auto r = h.control(client_a, refresh_request{a.id, 0});
    auto m = h.reply(r, client_a);
    REQUIRE(std::holds_alternative<refresh_response>(m));
    CHECK(std::get<refresh_response>(m).lifetime == 0);
    CHECK(r.closed_ports == std::vector<std::uint16_t>{a.relay_addr.port});
    CHECK(h.state.session_count() == 0);
    CHECK(h.data(client_a, outside_peer, "x").sends.empty());
  }
}

TEST_CASE("relay server: deallocate needs the owner", "[relay]") {
  harness h;
  auto a = h.allocate(client_a);
  auto ignored = h.control(client_b, deallocate_request{a.id});
  CHECK(ignored.sends.empty());
  CHECK(ignored.closed_ports.empty());
  CHECK(h.state.session_count() == 1);

  auto r = h.control(client_a, deallocate_request{a.id});
  CHECK(r.sends.empty()); // no response, as the original
  CHECK(r.closed_ports == std::vector<std::uint16_t>{a.relay_addr.port});
  CHECK(h.state.session_count() == 0);

  SECTION("the client may allocate anew, with a new id") {
    auto again = h.allocate(client_a);
    CHECK(again.id != a.id);
  }
}

TEST_CASE("relay server: idle allocations expire", "[relay]") {
  auto config = harness::make_config();
  config.max_lifetime = seconds(30);
  harness h(config);
  auto a = h.allocate(client_a);
  CHECK(a.lifetime == 30);
  auto b = h.allocate(client_b);

  h.now += seconds(20);
  h.data(client_a, outside_peer, "keeps A alive even when dropped");
  // Inbound traffic is not the client's activity.
  h.permit(client_b, b.id, outside_peer);
  h.now += seconds(5);
  const auto payload = bytes_of("in");
  h.state.on_allocation(b.relay_addr.port, outside_peer, payload.data(), payload.size());

  // Neither permissions nor inbound traffic are B's activity: idle since 0 s.
  h.now += seconds(4);
  CHECK(h.state.expire(h.now).closed_ports.empty());
  h.now += seconds(1); // 30 s
  auto r = h.state.expire(h.now);
  CHECK(r.closed_ports == std::vector<std::uint16_t>{b.relay_addr.port});
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].what == relay_server_state::event::kind::expired);
  CHECK(r.events[0].client == client_b);
  CHECK(h.state.session_count() == 1);

  h.now += seconds(20); // 50 s: A idle since 20 s
  CHECK(h.state.expire(h.now).closed_ports == std::vector<std::uint16_t>{a.relay_addr.port});
  CHECK(h.state.session_count() == 0);
}

// -- the real server on loopback --

namespace {

using overlayd::platform::datagram;
using overlayd::platform::relay_server;
using overlayd::platform::socket_address;
using overlayd::platform::udp_socket;

const ip_address loopback = *ip_address::parse("127.0.0.1");

struct test_client {
  udp_socket socket;
  endpoint server;
  auth_key key = derive_auth_key("cluster secret");

  explicit test_client(const endpoint& to, const ip_address& local = loopback) : server(to) {
    auto s = udp_socket::bind(local, 0);
    REQUIRE(s.ok());
    socket = std::move(*s);
  }

  void send(const std::vector<std::uint8_t>& bytes) {
    datagram d{const_cast<std::uint8_t*>(bytes.data()), bytes.size(), 0,
               socket_address::from(server)};
    REQUIRE(socket.send_batch(&d, 1) == 1);
  }
  void send(const message& m) {
    auto b = encode(m, key);
    REQUIRE(b.ok());
    send(*b);
  }
  // All in one batch: equal sizes to one server leave as one GSO send.
  void send_train(const std::vector<std::vector<std::uint8_t>>& train) {
    std::vector<datagram> out;
    for (const auto& bytes : train)
      out.push_back(datagram{const_cast<std::uint8_t*>(bytes.data()), bytes.size(), 0,
                             socket_address::from(server)});
    REQUIRE(socket.send_batch(out.data(), static_cast<int>(out.size()))
            == static_cast<int>(out.size()));
  }

  // The next datagram within `wait`, or nullopt.
  std::optional<message> receive(std::chrono::milliseconds wait = std::chrono::seconds(2)) {
    pollfd p{socket.fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1)
      return std::nullopt;
    std::vector<std::uint8_t> buffer(70000);
    datagram d{buffer.data(), 0, buffer.size(), {}};
    if (socket.receive_batch(&d, 1) != 1)
      return std::nullopt;
    auto m = decode(buffer.data(), d.length, key);
    REQUIRE(m.ok());
    return *m;
  }

  template <class T>
  T expect() {
    auto m = receive();
    REQUIRE(m);
    REQUIRE(std::holds_alternative<T>(*m));
    return std::get<T>(*m);
  }
};

template <class Predicate>
bool eventually(Predicate p) {
  for (int i = 0; i < 400 && !p(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return p();
}

relay_server_config loopback_config() {
  relay_server_config c;
  c.external_addr = endpoint{loopback, 0};
  c.max_sessions = 4;
  return c;
}

} // namespace

TEST_CASE("relay server: a datagram goes from client A through the server to client B",
          "[relay][platform]") {
  auto server = relay_server::start(loopback_config(), derive_auth_key("cluster secret"));
  REQUIRE(server.ok());
  const endpoint at = (*server)->bound();
  REQUIRE(at.address == loopback);
  REQUIRE(at.port != 0);

  test_client a(at);
  test_client b(at);
  a.send(allocate_request{std::string("a")});
  auto alloc_a = a.expect<allocate_response>();
  b.send(allocate_request{std::string("b")});
  auto alloc_b = b.expect<allocate_response>();
  CHECK(alloc_a.relay_addr.address == loopback);
  CHECK_FALSE(alloc_a.relay_addr == alloc_b.relay_addr);
  CHECK((*server)->session_count() == 2);

  b.send(permission_request{alloc_b.id, alloc_a.relay_addr});
  b.expect<permission_response>();
  a.send(permission_request{alloc_a.id, alloc_b.relay_addr});
  a.expect<permission_response>();

  auto frame = encode_data(data_message{alloc_b.relay_addr, bytes_of("through the relay")});
  REQUIRE(frame.ok());
  a.send(*frame);
  auto d = b.expect<data_message>();
  CHECK(d.addr == alloc_a.relay_addr);
  CHECK(d.raw == bytes_of("through the relay"));

  SECTION("a train of frames reaches B whole and in order") {
    // The server reads the train in one go (GRO) and sends it on in one
    // go (GSO): nothing may be lost, merged or reordered on the way.
    std::vector<std::vector<std::uint8_t>> train;
    for (int i = 0; i < 40; ++i) {
      std::vector<std::uint8_t> payload(1200, static_cast<std::uint8_t>(i));
      auto f = encode_data(data_message{alloc_b.relay_addr, payload});
      REQUIRE(f.ok());
      train.push_back(*f);
    }
    a.send_train(train);
    for (int i = 0; i < 40; ++i) {
      auto in = b.expect<data_message>();
      INFO(i);
      REQUIRE(in.raw == std::vector<std::uint8_t>(1200, static_cast<std::uint8_t>(i)));
      CHECK(in.addr == alloc_a.relay_addr);
    }
  }
  SECTION("a peer sending to B's relay socket reaches B when permitted") {
    test_client peer(alloc_b.relay_addr);
    peer.send(bytes_of("direct"));
    auto in = b.expect<data_message>();
    CHECK(in.addr == endpoint{loopback, peer.socket.port()});
    CHECK(in.raw == bytes_of("direct"));
  }
  SECTION("a wrong key is counted and not answered") {
    test_client stranger(at);
    stranger.key = derive_auth_key("guess");
    stranger.send(allocate_request{std::string("x")});
    CHECK(eventually([&] { return (*server)->unauthenticated_drops() == 1; }));
    CHECK_FALSE(stranger.receive(std::chrono::milliseconds(200)));
    CHECK((*server)->session_count() == 2);
  }
  SECTION("deallocate closes the allocation") {
    a.send(deallocate_request{alloc_a.id});
    CHECK(eventually([&] { return (*server)->session_count() == 1; }));
  }
}

TEST_CASE("relay server: an IPv6 external address gives IPv6 relay addresses",
          "[relay][platform]") {
  const ip_address loopback6 = *ip_address::parse("::1");
  auto config = loopback_config();
  config.external_addr = endpoint{loopback6, 0};
  auto server = relay_server::start(config, derive_auth_key("cluster secret"));
  REQUIRE(server.ok());
  test_client a((*server)->bound(), loopback6);
  test_client b((*server)->bound(), loopback6);
  a.send(allocate_request{std::string("a")});
  auto alloc_a = a.expect<allocate_response>();
  b.send(allocate_request{std::string("b")});
  auto alloc_b = b.expect<allocate_response>();
  CHECK(alloc_a.relay_addr.address == loopback6);
  b.send(permission_request{alloc_b.id, alloc_a.relay_addr});
  b.expect<permission_response>();
  a.send(*encode_data(data_message{alloc_b.relay_addr, bytes_of("v6")}));
  auto d = b.expect<data_message>();
  CHECK(d.addr == alloc_a.relay_addr);
  CHECK(d.raw == bytes_of("v6"));
}

TEST_CASE("relay server: idle allocations expire on the real server", "[relay][platform]") {
  auto config = loopback_config();
  config.max_lifetime = seconds(1);
  auto server = relay_server::start(config, derive_auth_key("cluster secret"));
  REQUIRE(server.ok());
  test_client a((*server)->bound());
  a.send(allocate_request{std::string("a")});
  CHECK(a.expect<allocate_response>().lifetime == 1);
  CHECK((*server)->session_count() == 1);
  CHECK(eventually([&] { return (*server)->session_count() == 0; }));
}

TEST_CASE("relay server: a taken port is refused with its number", "[relay][platform]") {
  auto first = relay_server::start(loopback_config(), derive_auth_key("k"));
  REQUIRE(first.ok());
  auto config = loopback_config();
  config.listen_port = (*first)->bound().port;
  auto second = relay_server::start(config, derive_auth_key("k"));
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.error_message(),
             Catch::StartsWith("relay server: cannot bind port " +
                               std::to_string(config.listen_port) + ": "));
}
