#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "net/wireguard/uapi_protocol.hpp"

using overlayd::net::cidr;
using overlayd::net::ip_address;
using overlayd::net::parse_endpoint;
using namespace overlayd::net::wg;

namespace {

uapi_key key_of(std::uint8_t start) {
  uapi_key k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(start + i);
  return k;
}

std::string hex(const uapi_key& k) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto b : k) {
    s += digits[b >> 4];
    s += digits[b & 0xf];
  }
  return s;
}

cidr C(const char* text) {
  auto c = cidr::parse(text);
  REQUIRE(c.ok());
  return *c;
}

std::vector<std::string> strings(const std::vector<cidr>& v) {
  std::vector<std::string> out;
  for (const auto& c : v)
    out.push_back(c.to_address_string());
  return out;
}

const uapi_key peer_a = key_of(0x10);
const uapi_key peer_b = key_of(0x80);
const uapi_key device_key = key_of(0xc0);

// Runs the whole socket text through the reader and parses the set.
uapi_set_parse parse_wire(const std::string& wire) {
  uapi_request_reader reader;
  reader.feed(wire);
  uapi_request req;
  uapi_error err;
  REQUIRE(reader.next(req, err) == uapi_request_reader::status::request);
  REQUIRE(req.op == uapi_request::kind::set);
  CHECK(reader.buffered() == 0);
  return parse_set_request(req.body);
}

void check_error(const std::string& body, uapi_errno code, const std::string& fragment) {
  INFO("body: " << body);
  auto r = parse_set_request(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.code == code);
  CHECK_THAT(r.error.message, Catch::Contains(fragment));
}

} // namespace

TEST_CASE("uapi set: what `wg set` sends for one peer", "[wireguard]") {
  // wg set wg0 peer <key> endpoint 10.0.0.2:51820 allowed-ips 10.1.0.0/24,10.2.0.0/16
  //   persistent-keepalive 25   (wireguard-tools ipc-uapi.h, userspace_set_device)
  std::string wire = "set=1\n"
                     "public_key=" + hex(peer_a) + "\n"
                     "endpoint=10.0.0.2:51820\n"
                     "persistent_keepalive_interval=25\n"
                     "replace_allowed_ips=true\n"
                     "allowed_ip=10.1.0.0/24\n"
                     "allowed_ip=10.2.0.0/16\n"
                     "\n";
  auto r = parse_wire(wire);
  REQUIRE(r.ok());
  const auto& req = *r.request;
  CHECK_FALSE(req.private_key);
  CHECK_FALSE(req.listen_port);
  CHECK_FALSE(req.fwmark);
  CHECK_FALSE(req.replace_peers);
  REQUIRE(req.peers.size() == 1);
  const auto& p = req.peers[0];
  CHECK(p.public_key == peer_a);
  CHECK_FALSE(p.remove);
  CHECK_FALSE(p.update_only);
  CHECK_FALSE(p.preshared_key);
  REQUIRE(p.endpoint);
  CHECK(p.endpoint->to_string() == "10.0.0.2:51820");
  CHECK(p.persistent_keepalive_interval == std::uint16_t{25});
  CHECK(p.replace_allowed_ips);
  CHECK(strings(p.allowed_ips) == std::vector<std::string>{"10.1.0.0/24", "10.2.0.0/16"});
}

TEST_CASE("uapi set: what `wg setconf` sends (device, psk, IPv6, removal)", "[wireguard]") {
  uapi_key psk = key_of(0x40);
  std::string body = "private_key=" + hex(device_key) + "\n"
                     "listen_port=51820\n"
                     "fwmark=0\n"
                     "replace_peers=true\n"
                     "public_key=" + hex(peer_a) + "\n"
                     "preshared_key=" + hex(psk) + "\n"
                     "endpoint=[fd00::2]:51820\n"
                     "persistent_keepalive_interval=0\n"
                     "replace_allowed_ips=true\n"
                     "allowed_ip=fd00:1::/64\n"
                     "allowed_ip=10.1.0.5/24\n"
                     "protocol_version=1\n"
                     "public_key=" + hex(peer_b) + "\n"
                     "remove=true\n";
  auto r = parse_set_request(body);
  REQUIRE(r.ok());
  const auto& req = *r.request;
  CHECK(req.private_key == device_key);
  CHECK(req.listen_port == std::uint16_t{51820});
  CHECK(req.fwmark == std::uint32_t{0});
  CHECK(req.replace_peers);
  REQUIRE(req.peers.size() == 2);
  CHECK(req.peers[0].preshared_key == psk);
  CHECK(req.peers[0].endpoint->to_string() == "[fd00::2]:51820");
  CHECK(req.peers[0].persistent_keepalive_interval == std::uint16_t{0});
  // Kept as written; the allowed-IPs table masks on insert.
  CHECK(strings(req.peers[0].allowed_ips) == std::vector<std::string>{"fd00:1::/64", "10.1.0.5/24"});
  CHECK(req.peers[1].public_key == peer_b);
  CHECK(req.peers[1].remove);
}

TEST_CASE("uapi set: the bodies overlayd's transport sends", "[wireguard]") {
  // nat_transport.md 2.3: configure, remove_peer, update endpoint, replace set.
  auto configure = parse_set_request("private_key=" + hex(device_key) + "\nlisten_port=51420\n"
                                     "public_key=" + hex(peer_a) + "\nendpoint=192.0.2.7:51420\n"
                                     "allowed_ip=10.200.0.5/32\npersistent_keepalive_interval=25\n");
  REQUIRE(configure.ok());
  CHECK(configure.request->peers.at(0).allowed_ips.size() == 1);
  CHECK_FALSE(configure.request->peers.at(0).replace_allowed_ips);

  auto update = parse_set_request("public_key=" + hex(peer_a) + "\nendpoint=198.51.100.9:40000\n");
  REQUIRE(update.ok());
  CHECK(update.request->peers.at(0).endpoint->to_string() == "198.51.100.9:40000");
  CHECK_FALSE(update.request->peers.at(0).persistent_keepalive_interval);

  // An empty replace set clears the peer's allowed IPs.
  auto clear = parse_set_request("public_key=" + hex(peer_a) + "\nreplace_allowed_ips=true\n");
  REQUIRE(clear.ok());
  CHECK(clear.request->peers.at(0).replace_allowed_ips);
  CHECK(clear.request->peers.at(0).allowed_ips.empty());
}

TEST_CASE("uapi set: line order semantics folded into the operation list", "[wireguard]") {
  SECTION("replace_allowed_ips drops what came before it in the block") {
    auto r = parse_set_request("public_key=" + hex(peer_a) + "\nallowed_ip=10.0.0.0/8\n"
                               "replace_allowed_ips=true\nallowed_ip=10.9.0.0/16\n");
    REQUIRE(r.ok());
    CHECK(strings(r.request->peers[0].allowed_ips) == std::vector<std::string>{"10.9.0.0/16"});
  }
  SECTION("remove wins over the block; later lines are checked but dropped") {
    auto r = parse_set_request("public_key=" + hex(peer_a) + "\nendpoint=10.0.0.2:1\n"
                               "remove=true\nallowed_ip=10.0.0.0/8\npersistent_keepalive_interval=5\n");
    REQUIRE(r.ok());
    const auto& p = r.request->peers[0];
    CHECK(p.remove);
    CHECK_FALSE(p.endpoint);
    CHECK(p.allowed_ips.empty());
    CHECK_FALSE(p.persistent_keepalive_interval);
    // ...but still validated, as wireguard-go does on its dummy peer.
    check_error("public_key=" + hex(peer_a) + "\nremove=true\nallowed_ip=nope\n",
                uapi_errno::invalid, "line 3: invalid allowed_ip \"nope\"");
  }
  SECTION("update_only and a repeated key make separate blocks in order") {
    auto r = parse_set_request("public_key=" + hex(peer_a) + "\nupdate_only=true\n"
                               "endpoint=10.0.0.3:7\npublic_key=" + hex(peer_b) + "\n"
                               "public_key=" + hex(peer_a) + "\nremove=true\n");
    REQUIRE(r.ok());
    REQUIRE(r.request->peers.size() == 3);
    CHECK(r.request->peers[0].update_only);
    CHECK(r.request->peers[0].endpoint);
    CHECK(r.request->peers[1].public_key == peer_b);
    CHECK(r.request->peers[2].public_key == peer_a);
    CHECK(r.request->peers[2].remove);
  }
  SECTION("the last of repeated device lines counts; zero private key removes") {
    auto r = parse_set_request("listen_port=1\nlisten_port=2\nprivate_key=" + std::string(64, '0')
                               + "\n");
    REQUIRE(r.ok());
    CHECK(r.request->listen_port == std::uint16_t{2});
    CHECK(r.request->private_key == uapi_key{});
  }
  SECTION("upper-case hex, CRLF lines, empty body") {
    std::string upper = hex(peer_b);
    for (auto& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto r = parse_set_request("public_key=" + upper + "\r\nendpoint=10.0.0.2:5\r\n");
    REQUIRE(r.ok());
    CHECK(r.request->peers[0].public_key == peer_b);
    CHECK(r.request->peers[0].endpoint->port == 5);
    auto empty = parse_set_request("");
    REQUIRE(empty.ok());
    CHECK(empty.request->peers.empty());
  }
}

TEST_CASE("uapi set: every error and its errno", "[wireguard]") {
  const std::string pk = "public_key=" + hex(peer_a) + "\n";
  // EPROTO: a line that is not key=value.
  check_error("listen_port\n", uapi_errno::protocol, "line 1: not key=value");
  check_error(pk + "allowed_ip 10.0.0.0/8\n", uapi_errno::protocol, "line 2: not key=value");
  // EINVAL: keys.
  check_error("private_key=abcd\n", uapi_errno::invalid, "invalid private_key");
  check_error("public_key=" + std::string(63, 'a') + "\n", uapi_errno::invalid, "invalid public_key");
  check_error("public_key=" + std::string(64, 'g') + "\n", uapi_errno::invalid, "invalid public_key");
  check_error(pk + "preshared_key=" + std::string(66, '0') + "\n", uapi_errno::invalid,
              "invalid preshared_key");
  // EINVAL: numbers (Go's ParseUint: digits only, in range).
  check_error("listen_port=65536\n", uapi_errno::invalid, "invalid listen_port \"65536\"");
  check_error("listen_port=-1\n", uapi_errno::invalid, "invalid listen_port");
  check_error("listen_port=\n", uapi_errno::invalid, "invalid listen_port");
  check_error("listen_port= 1\n", uapi_errno::invalid, "invalid listen_port");
  check_error("fwmark=4294967296\n", uapi_errno::invalid, "invalid fwmark");
  check_error("fwmark=0x10\n", uapi_errno::invalid, "invalid fwmark");
  check_error(pk + "persistent_keepalive_interval=65536\n", uapi_errno::invalid,
              "invalid persistent_keepalive_interval");
  // EINVAL: flags are "true" or an error.
  check_error("replace_peers=false\n", uapi_errno::invalid, "invalid replace_peers value");
  check_error(pk + "remove=1\n", uapi_errno::invalid, "invalid remove value");
  check_error(pk + "update_only=yes\n", uapi_errno::invalid, "invalid update_only value");
  check_error(pk + "replace_allowed_ips=false\n", uapi_errno::invalid,
              "invalid replace_allowed_ips value");
  check_error(pk + "protocol_version=2\n", uapi_errno::invalid, "invalid protocol_version \"2\"");
  // EINVAL: endpoints and prefixes.
  check_error(pk + "endpoint=fd00::2:51820\n", uapi_errno::invalid, "invalid endpoint");
  check_error(pk + "endpoint=host.example:51820\n", uapi_errno::invalid, "invalid endpoint");
  check_error(pk + "endpoint=10.0.0.2:70000\n", uapi_errno::invalid, "invalid endpoint");
  check_error(pk + "endpoint=10.0.0.2\n", uapi_errno::invalid, "invalid endpoint");
  check_error(pk + "allowed_ip=10.0.0.1\n", uapi_errno::invalid, "invalid allowed_ip"); // needs /bits
  check_error(pk + "allowed_ip=10.0.0.0/33\n", uapi_errno::invalid, "invalid allowed_ip");
  check_error(pk + "allowed_ip=10.0.0.0/8,10.1.0.0/16\n", uapi_errno::invalid, "invalid allowed_ip");
  // EINVAL: unknown keys, and device keys inside a peer block.
  check_error("own_public_key=" + hex(peer_a) + "\n", uapi_errno::invalid,
              "invalid device key \"own_public_key\"");
  check_error(pk + "listen_port=1\n", uapi_errno::invalid, "invalid peer key \"listen_port\"");
  check_error(pk + "endpoint_x=1\n", uapi_errno::invalid, "invalid peer key");
  check_error("=x\n", uapi_errno::invalid, "invalid device key \"\"");
  // Peer keys before any public_key are device keys, hence unknown.
  check_error("endpoint=10.0.0.2:1\n", uapi_errno::invalid, "invalid device key \"endpoint\"");

  // A bad line anywhere means no operations at all.
  auto r = parse_set_request("listen_port=1\n" + pk + "allowed_ip=10.0.0.0/8\nallowed_ip=bad\n");
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.request.has_value());
}

TEST_CASE("uapi set: private and preshared keys never reach the error text", "[wireguard]") {
  std::string almost = hex(device_key);
  almost.back() = 'x';
  auto r = parse_set_request("private_key=" + almost + "\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.message.find(almost.substr(0, 16)) == std::string::npos);
  auto p = parse_set_request("public_key=" + hex(peer_a) + "\npreshared_key=" + almost + "\n");
  REQUIRE_FALSE(p.ok());
  CHECK(p.error.message.find(almost.substr(0, 16)) == std::string::npos);
}

TEST_CASE("uapi set: mutated bodies parse or fail with an errno, never showing a secret",
          "[wireguard]") {
  const uapi_key psk = key_of(0x40);
  const std::string private_hex = hex(device_key), psk_hex = hex(psk);
  const std::string body = "private_key=" + private_hex + "\nlisten_port=51820\nfwmark=0\n"
                           "replace_peers=true\npublic_key=" + hex(peer_a) + "\n"
                           "preshared_key=" + psk_hex + "\nendpoint=[fd00::2]:51820\n"
                           "persistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
                           "allowed_ip=fd00:1::/64\nallowed_ip=10.1.0.5/24\nprotocol_version=1\n"
                           "public_key=" + hex(peer_b) + "\nupdate_only=true\nremove=true\n";
  static const char special[] = {'=', '\n', '\r', '/', ':', '[', ']', '.', '0', 'f', 'x', '-', ' ', '\0'};
  std::mt19937 rng(51820);
  std::size_t accepted = 0, refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string mutated = body;
    for (int e = 1 + static_cast<int>(rng() % 3); e > 0 && !mutated.empty(); --e) {
      const std::size_t at = rng() % mutated.size();
      switch (rng() % 4) {
      case 0: mutated[at] = special[rng() % sizeof special]; break;
      case 1: mutated.erase(at, 1 + rng() % 12); break;
      case 2: mutated.insert(at, mutated.substr(rng() % mutated.size(), rng() % 40)); break;
      default: mutated.resize(at); break;
      }
    }
    auto r = parse_set_request(mutated);
    if (r.ok()) {
      ++accepted;
      continue;
    }
    ++refused;
    INFO(r.error.message);
    CHECK(r.error.code != uapi_errno::ok);
    CHECK_FALSE(r.error.message.empty());
    // Not even a recognisable piece of a key that may be secret.
    CHECK(r.error.message.find(private_hex.substr(8, 16)) == std::string::npos);
    CHECK(r.error.message.find(psk_hex.substr(8, 16)) == std::string::npos);
  }
  CHECK(accepted > 200);
  CHECK(refused > 1000);
}

TEST_CASE("uapi responses: errno lines as wireguard-go writes them", "[wireguard]") {
  CHECK(format_errno(uapi_errno::ok) == "errno=0\n\n");
  CHECK(format_errno(uapi_errno::invalid) == "errno=-22\n\n");
  CHECK(format_errno(uapi_errno::protocol) == "errno=-71\n\n");
  CHECK(format_errno(uapi_errno::port_in_use) == "errno=-98\n\n");
  CHECK(format_errno(uapi_errno::io) == "errno=-5\n\n");
  CHECK(format_errno(uapi_errno::unknown) == "errno=-55\n\n");

  CHECK(parse_errno_response("errno=0\n\n") == 0);
  CHECK(parse_errno_response("errno=-22\n\n") == 22);
  CHECK(parse_errno_response("errno=71\n\n") == 71); // boringtun writes it positive
  CHECK(parse_errno_response("listen_port=1\nerrno=0\n\n") == 0);
  CHECK_FALSE(parse_errno_response("").has_value());
  CHECK_FALSE(parse_errno_response("errno=x\n").has_value());
}

TEST_CASE("uapi get: wireguard-go's order and formatting, and back", "[wireguard]") {
  uapi_device_status dev;
  dev.private_key = device_key;
  dev.listen_port = 51820;
  dev.fwmark = 0x2a;
  uapi_peer_status a;
  a.public_key = peer_a;
  a.endpoint = parse_endpoint("10.0.0.2:51820");
  a.last_handshake_time_sec = 1700000000;
  a.last_handshake_time_nsec = 123456789;
  a.tx_bytes = 1234;
  a.rx_bytes = 5678;
  a.persistent_keepalive_interval = 25;
  a.allowed_ips = {C("10.1.0.0/24"), C("10.2.0.5/16")};
  uapi_peer_status b;
  b.public_key = peer_b;
  b.preshared_key = key_of(0x01);
  b.endpoint = parse_endpoint("[fd00::2]:7");
  b.allowed_ips = {C("fd00:1::/64")};
  uapi_peer_status c; // never configured: no endpoint, no handshake, no ips
  c.public_key = key_of(0x33);
  dev.peers = {a, b, c};

  const std::string zero(64, '0');
  const std::string expected =
      "private_key=" + hex(device_key) + "\n"
      "listen_port=51820\n"
      "fwmark=42\n"
      "public_key=" + hex(peer_a) + "\n"
      "preshared_key=" + zero + "\n"
      "protocol_version=1\n"
      "endpoint=10.0.0.2:51820\n"
      "last_handshake_time_sec=1700000000\n"
      "last_handshake_time_nsec=123456789\n"
      "tx_bytes=1234\n"
      "rx_bytes=5678\n"
      "persistent_keepalive_interval=25\n"
      "allowed_ip=10.1.0.0/24\n"
      "allowed_ip=10.2.0.0/16\n" // printed masked
      "public_key=" + hex(peer_b) + "\n"
      "preshared_key=" + hex(key_of(0x01)) + "\n"
      "protocol_version=1\n"
      "endpoint=[fd00::2]:7\n"
      "last_handshake_time_sec=0\n"
      "last_handshake_time_nsec=0\n"
      "tx_bytes=0\n"
      "rx_bytes=0\n"
      "persistent_keepalive_interval=0\n"
      "allowed_ip=fd00:1::/64\n"
      "public_key=" + hex(key_of(0x33)) + "\n"
      "preshared_key=" + zero + "\n"
      "protocol_version=1\n"
      "last_handshake_time_sec=0\n"
      "last_handshake_time_nsec=0\n"
      "tx_bytes=0\n"
      "rx_bytes=0\n"
      "persistent_keepalive_interval=0\n"
      "errno=0\n"
      "\n";
  const std::string text = format_get_response(dev);
  CHECK(text == expected);

  auto back = parse_get_response(text);
  REQUIRE(back.ok());
  CHECK(back->private_key == device_key);
  CHECK(back->listen_port == 51820);
  CHECK(back->fwmark == 42);
  REQUIRE(back->peers.size() == 3);
  const auto& pa = back->peers[0];
  CHECK(pa.public_key == peer_a);
  CHECK(pa.preshared_key == uapi_key{});
  CHECK(pa.endpoint->to_string() == "10.0.0.2:51820");
  CHECK(pa.last_handshake_time_sec == 1700000000);
  CHECK(pa.last_handshake_time_nsec == 123456789);
  CHECK(pa.tx_bytes == 1234);
  CHECK(pa.rx_bytes == 5678);
  CHECK(pa.persistent_keepalive_interval == 25);
  CHECK(strings(pa.allowed_ips) == std::vector<std::string>{"10.1.0.0/24", "10.2.0.0/16"});
  CHECK(back->peers[1].preshared_key == key_of(0x01));
  CHECK(back->peers[1].endpoint->to_string() == "[fd00::2]:7");
  CHECK_FALSE(back->peers[2].endpoint.has_value());
  // And the parsed snapshot writes the same text again.
  CHECK(format_get_response(*back) == text);
}

TEST_CASE("uapi get: an empty device is just the errno line", "[wireguard]") {
  CHECK(format_get_response(uapi_device_status{}) == "errno=0\n\n");
  auto back = parse_get_response("errno=0\n\n");
  REQUIRE(back.ok());
  CHECK(back->peers.empty());
  CHECK(back->listen_port == 0);
}

TEST_CASE("uapi get parser: tolerant of what it does not know", "[wireguard]") {
  // boringtun-style keys, unknown keys, bad values, an unidentifiable peer.
  std::string text = "own_public_key=" + hex(device_key) + "\n"
                     "listen_port=51420\n"
                     "some_future_key=1\n"
                     "public_key=nothex\n"
                     "endpoint=10.9.9.9:1\n"
                     "allowed_ip=10.9.0.0/16\n"
                     "public_key=" + hex(peer_a) + "\n"
                     "persistent_keepalive_interval=25\n"
                     "endpoint=(none)\n"
                     "allowed_ip=10.1.0.0/24\n"
                     "allowed_ip=garbage\n"
                     "listen_port=9\n" // device key after a peer: ignored
                     "rx_bytes=18446744073709551615\n"
                     "tx_bytes=-1\n"
                     "last_handshake_time_sec=1700000000\n"
                     "errno=0\n"
                     "\n";
  auto r = parse_get_response(text);
  REQUIRE(r.ok());
  CHECK(r->listen_port == 51420);
  CHECK(r->private_key == uapi_key{});
  REQUIRE(r->peers.size() == 1);
  const auto& p = r->peers[0];
  CHECK(p.public_key == peer_a);
  CHECK_FALSE(p.endpoint.has_value());
  CHECK(strings(p.allowed_ips) == std::vector<std::string>{"10.1.0.0/24"});
  CHECK(p.rx_bytes == ~std::uint64_t{0});
  CHECK(p.tx_bytes == 0);
  CHECK(p.last_handshake_time_sec == 1700000000);

  auto cut = parse_get_response("listen_port=1\npublic_key=" + hex(peer_a) + "\n");
  REQUIRE_FALSE(cut.ok());
  CHECK_THAT(cut.error_message(), Catch::Contains("no errno line"));
  auto failed = parse_get_response("errno=-5\n\n");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error_message() == "uapi get: errno=-5");
  CHECK_FALSE(parse_get_response("").ok());
}

TEST_CASE("uapi reader: requests split across chunks, one byte at a time", "[wireguard]") {
  const std::string set_wire = "set=1\npublic_key=" + hex(peer_a) + "\nendpoint=10.0.0.2:51820\n\n";
  const std::string stream = "get=1\n\n" + set_wire + "get=1\n\n";
  uapi_request_reader reader;
  uapi_request req;
  uapi_error err;
  std::vector<uapi_request> got;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    for (;;) {
      auto s = reader.next(req, err);
      REQUIRE(s != uapi_request_reader::status::error);
      if (s != uapi_request_reader::status::request)
        break;
      got.push_back(req);
    }
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0].op == uapi_request::kind::get);
  CHECK(got[1].op == uapi_request::kind::set);
  CHECK(got[1].body == "public_key=" + hex(peer_a) + "\nendpoint=10.0.0.2:51820\n");
  CHECK(got[2].op == uapi_request::kind::get);
  CHECK(reader.buffered() == 0);
  CHECK(reader.finish(req, err) == uapi_request_reader::status::need_more);

  // Odd chunk sizes, several requests in one chunk.
  uapi_request_reader r2;
  std::size_t count = 0;
  for (std::size_t at = 0; at < stream.size(); at += 7) {
    r2.feed(std::string_view(stream).substr(at, 7));
    while (r2.next(req, err) == uapi_request_reader::status::request)
      ++count;
  }
  CHECK(count == 3);

  // An empty set is a request too.
  uapi_request_reader r3;
  r3.feed("set=1\n\n");
  REQUIRE(r3.next(req, err) == uapi_request_reader::status::request);
  CHECK(req.op == uapi_request::kind::set);
  CHECK(req.body.empty());
}

TEST_CASE("uapi reader: rejects what is not a request", "[wireguard]") {
  uapi_request req;
  uapi_error err;
  SECTION("unknown operation, found before its line ends") {
    uapi_request_reader r;
    r.feed("GET / HTTP/1.1");
    REQUIRE(r.next(req, err) == uapi_request_reader::status::error);
    CHECK(err.code == uapi_errno::protocol);
    CHECK_THAT(err.message, Catch::Contains("unknown operation \"GET / HTTP/1.1\""));
  }
  SECTION("get=2 and set=1 with CRLF are unknown operations") {
    for (const char* wire : {"get=2\n\n", "set=1\r\n\r\n", "get=1 \n"}) {
      uapi_request_reader r;
      r.feed(wire);
      REQUIRE(r.next(req, err) == uapi_request_reader::status::error);
      CHECK(err.code == uapi_errno::protocol);
    }
  }
  SECTION("a get with trailing characters") {
    uapi_request_reader r;
    r.feed("get=1\nx");
    REQUIRE(r.next(req, err) == uapi_request_reader::status::error);
    CHECK(err.code == uapi_errno::invalid);
  }
  SECTION("an oversized set") {
    uapi_request_reader r;
    r.feed("set=1\n");
    std::string line = "allowed_ip=10.0.0.0/8\n";
    std::size_t fed = 6;
    uapi_request_reader::status s = uapi_request_reader::status::need_more;
    while (fed <= uapi_request_reader::max_request_bytes) {
      r.feed(line);
      fed += line.size();
      s = r.next(req, err);
      if (s != uapi_request_reader::status::need_more)
        break;
    }
    REQUIRE(s == uapi_request_reader::status::error);
    CHECK(err.code == uapi_errno::io);
    CHECK(fed > uapi_request_reader::max_request_bytes);
  }
  SECTION("one chunk larger than the limit holding a whole set") {
    uapi_request_reader r;
    std::string big = "set=1\n";
    while (big.size() <= uapi_request_reader::max_request_bytes)
      big += "allowed_ip=10.0.0.0/8\n";
    big += "\n";
    r.feed(big);
    REQUIRE(r.next(req, err) == uapi_request_reader::status::error);
    CHECK(err.code == uapi_errno::io);
  }
  SECTION("just under the limit is fine") {
    uapi_request_reader r;
    std::string big = "set=1\npublic_key=" + hex(peer_a) + "\n";
    const std::string line = "allowed_ip=10.0.0.0/8\n";
    while (big.size() + line.size() + 1 <= uapi_request_reader::max_request_bytes)
      big += line;
    big += "\n";
    r.feed(big);
    REQUIRE(r.next(req, err) == uapi_request_reader::status::request);
    auto parsed = parse_set_request(req.body);
    REQUIRE(parsed.ok());
    CHECK(parsed.request->peers.at(0).allowed_ips.size() > 40000);
  }
}

TEST_CASE("uapi reader: end of stream", "[wireguard]") {
  uapi_request req;
  uapi_error err;
  SECTION("a set without its blank line is taken whole, like wireguard-go does") {
    uapi_request_reader r;
    r.feed("set=1\nlisten_port=5\nfwmark=7");
    REQUIRE(r.next(req, err) == uapi_request_reader::status::need_more);
    REQUIRE(r.finish(req, err) == uapi_request_reader::status::request);
    CHECK(req.body == "listen_port=5\nfwmark=7\n");
    auto p = parse_set_request(req.body);
    REQUIRE(p.ok());
    CHECK(p.request->fwmark == std::uint32_t{7});
  }
  SECTION("a cut get or a cut first line is nothing") {
    for (const char* wire : {"get=1\n", "get", "set=1"}) {
      uapi_request_reader r;
      r.feed(wire);
      CHECK(r.finish(req, err) == uapi_request_reader::status::need_more);
    }
  }
}
