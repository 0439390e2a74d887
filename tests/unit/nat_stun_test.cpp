#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hex_bytes.hpp"
#include "net/nat/stun_message.hpp"

using namespace overlayd::net::nat;
using overlayd::net::endpoint;
using overlayd::net::parse_endpoint;
using overlayd::testing::tohex;
using overlayd::testing::unhex;

namespace {

using bytes = std::vector<std::uint8_t>;

// RFC 5769 2.1-2.3 share this transaction id.
const stun_transaction_id rfc5769_id{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

// RFC 5769 2.2, Sample IPv4 Response: SOFTWARE, XOR-MAPPED-ADDRESS,
// MESSAGE-INTEGRITY, FINGERPRINT (the last two are not checked).
const bytes rfc5769_ipv4_response = unhex("0101003c2112a442b7e7a701bc34d686fa87dfae"
                                          "8022000b7465737420766563746f7220"
                                          "002000080001a147e112a643"
                                          "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
                                          "80280004c07d4c96");

// RFC 5769 2.3, Sample IPv6 Response.
const bytes rfc5769_ipv6_response = unhex("010100482112a442b7e7a701bc34d686fa87dfae"
                                          "8022000b7465737420766563746f7220"
                                          "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
                                          "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
                                          "80280004c8fb0b4c");

// RFC 5769 2.1, Sample Request: SOFTWARE, PRIORITY, ICE-CONTROLLED,
// USERNAME, MESSAGE-INTEGRITY, FINGERPRINT.
const bytes rfc5769_request = unhex("000100582112a442b7e7a701bc34d686fa87dfae"
                                    "802200105354554e207465737420636c69656e74"
                                    "002400046e0001ff"
                                    "80290008932ff9b151263b36"
                                    "000600096576746a3a68367659202020"
                                    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
                                    "80280004e57a3bcf");

const stun_transaction_id our_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

// Parse from an exactly sized heap copy, so the sanitizers see any read
// past the datagram (a vector's capacity may hide it).
overlayd::result<endpoint> parse(const bytes& b, const stun_transaction_id& id) {
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[b.size() + (b.empty() ? 1 : 0)]);
  std::copy(b.begin(), b.end(), copy.get());
  return parse_binding_response(copy.get(), b.size(), id);
}

bool looks(const bytes& b) {
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[b.size() + (b.empty() ? 1 : 0)]);
  std::copy(b.begin(), b.end(), copy.get());
  return looks_like_stun(copy.get(), b.size());
}

void put16(bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

bytes attribute(std::uint16_t type, const bytes& value) {
  bytes out;
  put16(out, type);
  put16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  while (out.size() % 4 != 0)
    out.push_back(0);
  return out;
}

bytes message(std::uint16_t type, const stun_transaction_id& id, const bytes& attributes) {
  bytes out;
  put16(out, type);
  put16(out, static_cast<std::uint16_t>(attributes.size()));
  out.insert(out.end(), {0x21, 0x12, 0xa4, 0x42});
  out.insert(out.end(), id.begin(), id.end());
  out.insert(out.end(), attributes.begin(), attributes.end());
  return out;
}

// MAPPED-ADDRESS value (or, with `xor_with_id`, XOR-MAPPED-ADDRESS) of `e`,
// encoded here independently of the parser.
bytes address_value(const endpoint& e, const stun_transaction_id* xor_with_id) {
  bytes mask{0x21, 0x12, 0xa4, 0x42};
  if (xor_with_id)
    mask.insert(mask.end(), xor_with_id->begin(), xor_with_id->end());
  else
    mask.assign(16, 0);
  std::uint16_t port = e.port;
  if (xor_with_id)
    port ^= 0x2112;
  bytes out{0, static_cast<std::uint8_t>(e.address.is_v4() ? 1 : 2)};
  put16(out, port);
  std::size_t n = e.address.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<std::uint8_t>(e.address.bytes()[i] ^ mask[i]));
  return out;
}

endpoint ep(const char* text) {
  auto e = parse_endpoint(text);
  REQUIRE(e);
  return *e;
}

bytes error_code_value(unsigned code, const std::string& reason) {
  bytes out{0, 0, static_cast<std::uint8_t>(code / 100), static_cast<std::uint8_t>(code % 100)};
  // push_back rather than insert: GCC 12 -O2 warns falsely (-Warray-bounds)
  // on a range insert into this vector.
  for (char c : reason)
    out.push_back(static_cast<std::uint8_t>(c));
  return out;
}

bool starts_like_wireguard(const bytes& b) {
  return b.size() >= 4 && b[0] >= 1 && b[0] <= 4 && b[1] == 0 && b[2] == 0 && b[3] == 0;
}

} // namespace

TEST_CASE("binding request is the 20-byte header with no attributes", "[nat][stun]") {
  auto request = make_binding_request(our_id);
  CHECK(tohex(request) == "000100002112a442" "0102030405060708090a0b0c");
  CHECK(looks_like_stun(request.data(), request.size()));
  auto id = stun_transaction_id_of(request.data(), request.size());
  REQUIRE(id);
  CHECK(*id == our_id);
  // A request is not an answer.
  auto r = parse_binding_response(request.data(), request.size(), our_id);
  REQUIRE_FALSE(r);
  CHECK(r.error_message() == "parse_binding_response: message type 0x0001 is not a binding "
                             "success response");
}

TEST_CASE("RFC 5769 vectors decode to the documented reflexive address", "[nat][stun]") {
  CHECK(looks(rfc5769_request));
  CHECK(looks(rfc5769_ipv4_response));
  CHECK(looks(rfc5769_ipv6_response));

  auto v4 = parse(rfc5769_ipv4_response, rfc5769_id);
  REQUIRE(v4);
  CHECK(v4->to_string() == "192.0.2.1:32853");

  auto v6 = parse(rfc5769_ipv6_response, rfc5769_id);
  REQUIRE(v6);
  CHECK(v6->to_string() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");

  auto id = stun_transaction_id_of(rfc5769_ipv6_response.data(), rfc5769_ipv6_response.size());
  REQUIRE(id);
  CHECK(*id == rfc5769_id);

  auto req = parse(rfc5769_request, rfc5769_id);
  REQUIRE_FALSE(req);
  CHECK_THAT(req.error_message(), Catch::Contains("0x0001"));
}

TEST_CASE("a response to another transaction is rejected", "[nat][stun]") {
  auto r = parse(rfc5769_ipv4_response, our_id);
  REQUIRE_FALSE(r);
  CHECK(r.error_message() == "parse_binding_response: transaction id b7e7a701bc34d686fa87dfae "
                             "is not the expected 0102030405060708090a0b0c");
}

TEST_CASE("MAPPED-ADDRESS is used when XOR-MAPPED-ADDRESS is absent", "[nat][stun]") {
  for (const char* text : {"198.51.100.7:4500", "[2001:db8::42]:51420"}) {
    auto e = ep(text);
    auto m = message(stun_binding_success, our_id,
                     attribute(stun_attr_mapped_address, address_value(e, nullptr)));
    auto r = parse(m, our_id);
    REQUIRE(r);
    CHECK(*r == e);
  }
}

TEST_CASE("XOR-MAPPED-ADDRESS round-trips for IPv4 and IPv6", "[nat][stun]") {
  for (const char* text : {"203.0.113.5:51820", "[fd00::1]:1", "0.0.0.0:0",
                           "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"}) {
    auto e = ep(text);
    auto m = message(stun_binding_success, our_id,
                     attribute(stun_attr_xor_mapped_address, address_value(e, &our_id)));
    auto r = parse(m, our_id);
    REQUIRE(r);
    CHECK(*r == e);
  }
}

TEST_CASE("XOR-MAPPED-ADDRESS wins over MAPPED-ADDRESS in either order", "[nat][stun]") {
  auto plain = attribute(stun_attr_mapped_address, address_value(ep("10.0.0.1:1000"), nullptr));
  auto xored = attribute(stun_attr_xor_mapped_address,
                         address_value(ep("203.0.113.9:2000"), &our_id));
  bytes a = plain;
  a.insert(a.end(), xored.begin(), xored.end());
  bytes b = xored;
  b.insert(b.end(), plain.begin(), plain.end());
  for (const auto& attrs : {a, b}) {
    auto r = parse(message(stun_binding_success, our_id, attrs), our_id);
    REQUIRE(r);
    CHECK(r->to_string() == "203.0.113.9:2000");
  }
}

TEST_CASE("the last attribute of a type counts, even unparsable", "[nat][stun]") {
  auto good_xor = attribute(stun_attr_xor_mapped_address,
                            address_value(ep("203.0.113.9:2000"), &our_id));
  auto bad_xor = attribute(stun_attr_xor_mapped_address, bytes{0, 3, 0, 0, 1, 2, 3, 4});
  auto plain = attribute(stun_attr_mapped_address, address_value(ep("10.0.0.1:1000"), nullptr));

  SECTION("a later good one replaces an earlier one") {
    auto other = attribute(stun_attr_xor_mapped_address,
                           address_value(ep("198.51.100.1:3000"), &our_id));
    bytes attrs = other;
    attrs.insert(attrs.end(), good_xor.begin(), good_xor.end());
    auto r = parse(message(stun_binding_success, our_id, attrs), our_id);
    REQUIRE(r);
    CHECK(r->to_string() == "203.0.113.9:2000");
  }
  SECTION("a later bad XOR-MAPPED-ADDRESS falls back to MAPPED-ADDRESS") {
    bytes attrs = good_xor;
    attrs.insert(attrs.end(), bad_xor.begin(), bad_xor.end());
    attrs.insert(attrs.end(), plain.begin(), plain.end());
    auto r = parse(message(stun_binding_success, our_id, attrs), our_id);
    REQUIRE(r);
    CHECK(r->to_string() == "10.0.0.1:1000");
  }
  SECTION("and with nothing else, its problem is the error") {
    bytes attrs = good_xor;
    attrs.insert(attrs.end(), bad_xor.begin(), bad_xor.end());
    auto r = parse(message(stun_binding_success, our_id, attrs), our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message()
          == "parse_binding_response: XOR-MAPPED-ADDRESS has unknown address family 3");
  }
}

TEST_CASE("address attributes of the wrong size are errors", "[nat][stun]") {
  struct bad_case {
    bytes value;
    std::string message;
  };
  const bad_case cases[] = {
      {{0, 1, 0}, "MAPPED-ADDRESS of 3 bytes is too short"},
      {{0, 1, 0, 80}, "MAPPED-ADDRESS of 4 bytes does not fit address family 1"},
      {{0, 1, 0, 80, 1, 2, 3, 4, 5, 6, 7, 8}, "MAPPED-ADDRESS of 12 bytes does not fit address family 1"},
      {{0, 2, 0, 80, 1, 2, 3, 4}, "MAPPED-ADDRESS of 8 bytes does not fit address family 2"},
      {{0, 0, 0, 80, 1, 2, 3, 4}, "MAPPED-ADDRESS has unknown address family 0"},
  };
  for (const auto& c : cases) {
    auto r = parse(message(stun_binding_success, our_id, attribute(stun_attr_mapped_address, c.value)),
                   our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: " + c.message);
  }
}

TEST_CASE("a success response without an address is an error", "[nat][stun]") {
  auto software = attribute(0x8022, bytes{'x', 'y', 'z'});
  for (const auto& attrs : {bytes{}, software}) {
    auto r = parse(message(stun_binding_success, our_id, attrs), our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: no XOR-MAPPED-ADDRESS or MAPPED-ADDRESS");
  }
}

TEST_CASE("error responses report their ERROR-CODE", "[nat][stun]") {
  SECTION("code and reason phrase") {
    auto m = message(stun_binding_error, our_id,
                     attribute(stun_attr_error_code, error_code_value(401, "Unauthorized")));
    auto r = parse(m, our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: binding error response 401 Unauthorized");
  }
  SECTION("a reason phrase is made printable") {
    auto m = message(stun_binding_error, our_id,
                     attribute(stun_attr_error_code, error_code_value(500, "Oops\n\x1b[31m")));
    auto r = parse(m, our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: binding error response 500 Oops??[31m");
  }
  SECTION("without ERROR-CODE") {
    auto r = parse(message(stun_binding_error, our_id, {}), our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: binding error response without ERROR-CODE");
  }
  SECTION("malformed ERROR-CODE") {
    auto m = message(stun_binding_error, our_id, attribute(stun_attr_error_code, bytes{0, 0}));
    auto r = parse(m, our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message()
          == "parse_binding_response: binding error response with a malformed ERROR-CODE");
  }
  SECTION("an error response to another transaction is not ours") {
    auto m = message(stun_binding_error, rfc5769_id,
                     attribute(stun_attr_error_code, error_code_value(400, "Bad Request")));
    auto r = parse(m, our_id);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error_message(), Catch::Contains("transaction id"));
  }
}

TEST_CASE("truncated and mis-framed input is rejected", "[nat][stun]") {
  SECTION("every strict prefix of a valid response") {
    for (std::size_t n = 0; n < rfc5769_ipv4_response.size(); ++n) {
      bytes prefix(rfc5769_ipv4_response.begin(), rfc5769_ipv4_response.begin() + n);
      CHECK_FALSE(looks(prefix));
      CHECK_FALSE(parse(prefix, rfc5769_id));
    }
    auto r = parse(bytes(rfc5769_ipv4_response.begin(), rfc5769_ipv4_response.begin() + 40),
                   rfc5769_id);
    CHECK(r.error_message()
          == "parse_binding_response: truncated: declared length 60, 20 bytes present");
    auto tiny = parse(bytes(rfc5769_ipv4_response.begin(), rfc5769_ipv4_response.begin() + 19),
                      rfc5769_id);
    CHECK(tiny.error_message()
          == "parse_binding_response: 19 bytes is shorter than the 20-byte STUN header");
    CHECK_FALSE(parse_binding_response(nullptr, 0, rfc5769_id));
    CHECK_FALSE(looks_like_stun(nullptr, 0));
  }
  SECTION("trailing bytes past the declared length") {
    bytes m = rfc5769_ipv4_response;
    m.insert(m.end(), {0, 0, 0, 0});
    CHECK_FALSE(looks(m));
    auto r = parse(m, rfc5769_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message()
          == "parse_binding_response: declared length 60 but 64 bytes follow the header");
  }
  SECTION("a declared length that is not a multiple of 4") {
    bytes m = message(stun_binding_success, our_id, bytes{0, 0, 0, 0, 0, 0});
    CHECK_FALSE(looks(m));
    auto r = parse(m, our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: declared length 6 is not a multiple of 4");
  }
  SECTION("an attribute running past the message end") {
    bytes attrs = attribute(stun_attr_xor_mapped_address,
                            address_value(ep("203.0.113.9:2000"), &our_id));
    attrs[3] = 12; // claims 12 value bytes, 8 present
    auto m = message(stun_binding_success, our_id, attrs);
    CHECK(looks(m)); // the frame is fine, its content is not
    auto r = parse(m, our_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: attribute 0x0020 of 12 bytes at offset 20 "
                               "runs past the message end");
  }
  SECTION("no magic cookie, or the top two bits set") {
    bytes no_cookie = rfc5769_ipv4_response;
    no_cookie[4] ^= 1;
    CHECK_FALSE(looks(no_cookie));
    auto r = parse(no_cookie, rfc5769_id);
    REQUIRE_FALSE(r);
    CHECK(r.error_message() == "parse_binding_response: not a STUN message (no magic cookie)");
    for (std::uint8_t bit : {0x40, 0x80}) {
      bytes top = rfc5769_ipv4_response;
      top[0] |= bit;
      CHECK_FALSE(looks(top));
      CHECK_FALSE(parse(top, rfc5769_id));
    }
  }
}

TEST_CASE("WireGuard messages never look like STUN", "[nat][stun]") {
  // Worst case: the sender/receiver index in bytes 4..7 equals the cookie.
  std::mt19937 rng(51820);
  for (std::uint8_t type = 1; type <= 4; ++type) {
    for (std::size_t size = 4; size <= 1500; ++size) {
      bytes m(size);
      for (auto& b : m)
        b = static_cast<std::uint8_t>(rng());
      m[0] = type;
      m[1] = m[2] = m[3] = 0;
      if (size >= 8) {
        m[4] = 0x21;
        m[5] = 0x12;
        m[6] = 0xa4;
        m[7] = 0x42;
      }
      // Even a length field that frames it: WireGuard's reserved bytes are
      // zero, so only a 20-byte datagram gets this far, and it is refused.
      INFO("type " << int(type) << " size " << size);
      REQUIRE_FALSE(looks(m));
      REQUIRE_FALSE(stun_transaction_id_of(m.data(), m.size()));
      REQUIRE_FALSE(parse(m, our_id));
    }
  }
  // And the other way round: what a STUN server sends us never starts like
  // a WireGuard message, so the WireGuard path cannot claim it either.
  CHECK_FALSE(starts_like_wireguard(rfc5769_ipv4_response));
  CHECK_FALSE(starts_like_wireguard(rfc5769_ipv6_response));
  auto request = make_binding_request(our_id);
  CHECK_FALSE(starts_like_wireguard(bytes(request.begin(), request.end())));
  CHECK_FALSE(starts_like_wireguard(message(stun_binding_error, our_id, {})));
}

TEST_CASE("fuzz: garbage and mutated responses never crash", "[nat][stun][fuzz]") {
  std::mt19937 rng(0x5715);
  auto byte = [&] { return static_cast<std::uint8_t>(rng()); };
  const bytes* seeds[] = {&rfc5769_ipv4_response, &rfc5769_ipv6_response, &rfc5769_request};
  int parsed = 0;
  for (int i = 0; i < 30000; ++i) {
    bytes m;
    const stun_transaction_id* id = &rfc5769_id;
    switch (i % 3) {
    case 0: { // pure garbage
      m.resize(rng() % 128);
      for (auto& b : m)
        b = byte();
      break;
    }
    case 1: { // a real vector, a few bytes flipped, maybe cut
      m = *seeds[rng() % 3];
      for (unsigned k = 1 + rng() % 4; k > 0; --k)
        m[rng() % m.size()] = byte();
      if (rng() % 4 == 0)
        m.resize(rng() % (m.size() + 1));
      break;
    }
    default: { // a well-framed success response with random attributes
      bytes attrs(4 * (rng() % 16));
      for (auto& b : attrs)
        b = byte();
      // Bias towards address attributes with plausible lengths.
      if (attrs.size() >= 4 && rng() % 2) {
        attrs[0] = 0;
        attrs[1] = rng() % 2 ? 0x20 : 0x01;
        attrs[2] = 0;
        attrs[3] = rng() % 2 ? 8 : 20;
      }
      m = message(stun_binding_success, our_id, attrs);
      id = &our_id;
      break;
    }
    }
    bool framed = looks(m);
    CHECK(framed == stun_transaction_id_of(m.data(), m.size()).has_value());
    auto r = parse(m, *id);
    if (r) {
      ++parsed;
      CHECK(framed);
    } else {
      CHECK_FALSE(r.error_message().empty());
    }
  }
  // The generator reaches the success path, not only the early exits.
  CHECK(parsed > 100);
}
