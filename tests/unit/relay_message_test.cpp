#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "net/relay/relay_key.hpp"
#include "net/relay/relay_message.hpp"
#include "net/relay/tagged_address.hpp"
#include "tests/unit/hex_bytes.hpp"

using namespace overlayd::net;
using namespace overlayd::net::relay;
using overlayd::testing::tohex;
using overlayd::testing::unhex;

namespace {

endpoint ep(const char* text) {
  auto e = parse_endpoint(text);
  REQUIRE(e);
  return *e;
}

allocation_id id_0_to_15() {
  allocation_id id{};
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<std::uint8_t>(i);
  return id;
}

std::vector<std::uint8_t> encoded(const message& m, const auth_key& key) {
  auto out = encode(m, key);
  REQUIRE(out.ok());
  return *out;
}

std::vector<message> one_of_each() {
  allocation_id id = id_0_to_15();
  return {
      allocate_request{std::string("testuser")},
      allocate_request{std::string()},
      allocate_request{std::nullopt},
      allocate_request{std::string(255, 'u')},
      allocate_response{ep("203.0.113.7:40000"), id, 600},
      allocate_response{ep("[2001:db8::7]:1"), id, 0},
      allocate_error{reason_max_sessions},
      allocate_error{reason_already_exists},
      allocate_error{reason_bind_failed},
      allocate_error{""},
      permission_request{id, ep("198.51.100.2:51820")},
      permission_request{id, ep("[2001:db8::1]:3478")},
      permission_response{},
      refresh_request{id, 600},
      refresh_request{id, 0xfffffffe},
      refresh_response{600},
      deallocate_request{id},
      data_message{ep("198.51.100.2:51820"), {1, 2, 3, 0, 0xff}},
      data_message{ep("[::1]:65535"), {}},
  };
}

} // namespace

TEST_CASE("relay key: derivation matches the spec's vectors", "[relay]") {
  CHECK(tohex(derive_auth_key("").bytes) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(tohex(derive_auth_key("test").bytes) ==
        "928b20366943e2afd11ebc0eae2e53a93bf177a4fcf35bcc64d503704e65e202");
  CHECK(tohex(derive_auth_key("shared_secret").bytes) ==
        "924ddf13fe870b89073d7b037f1fe43315526790ee2fe1bc5f9c06ac2c41d543");
}

TEST_CASE("relay key: tag verification is keyed and covers every byte", "[relay]") {
  auth_key key = derive_auth_key("test");
  std::vector<std::uint8_t> msg{0x05, 0x00, 0x00};
  tag32 tag = compute_tag(key, msg.data(), msg.size());
  CHECK(tohex(tag) == "7d1147d89f5f8ecadd6eb0ac2f61ac9aa7fe9259683f16c47d4f75e65a909d1c");
  CHECK(verify_tag(key, msg.data(), msg.size(), tag.data()));
  CHECK_FALSE(verify_tag(derive_auth_key("tesT"), msg.data(), msg.size(), tag.data()));
  for (std::size_t i = 0; i < tag.size(); ++i) {
    tag32 bad = tag;
    bad[i] ^= 0x01;
    CHECK_FALSE(verify_tag(key, msg.data(), msg.size(), bad.data()));
  }
}

TEST_CASE("relay message: byte-exact layouts from the spec", "[relay]") {
  auth_key key = derive_auth_key("test");

  SECTION("allocate_request 'testuser' (spec 5.1 vector)") {
    // type 01, L 0009, ulen 08, "testuser", tag
    auto want = unhex("01" "0009" "08" "7465737475736572"
                      "ee0a57d144fcbf36eea204728761bb5a7a55ec35544fe6d8db0239506c5c44f5");
    CHECK(tohex(encoded(allocate_request{std::string("testuser")}, key)) == tohex(want));
    auto back = decode(want, key);
    REQUIRE(back.ok());
    CHECK(std::get<allocate_request>(*back).username == std::string("testuser"));
  }

  SECTION("permission_response (spec 5.1 vector)") {
    auto want = unhex("05" "0000"
                      "7d1147d89f5f8ecadd6eb0ac2f61ac9aa7fe9259683f16c47d4f75e65a909d1c");
    CHECK(tohex(encoded(permission_response{}, key)) == tohex(want));
    auto back = decode(want, key);
    REQUIRE(back.ok());
    CHECK(std::holds_alternative<permission_response>(*back));
  }

  // The following were laid out by hand from 5.1/5.2; the tags were
  // computed independently with Python's hashlib.blake2b(key=key("test")).
  SECTION("allocate_response, IPv4 relay address") {
    auto want = unhex("02" "001b"                             // L = 7 + 16 + 4 = 27
                      "01" "cb007107" "9c40"                 // 203.0.113.7:40000
                      "000102030405060708090a0b0c0d0e0f"     // allocation id
                      "00000258"                             // lifetime 600
                      "c7a408a0898799d583ddea12ad30c81a14a632deacf8a2fb9fc583b8d3e0d0cb");
    allocate_response m{ep("203.0.113.7:40000"), id_0_to_15(), 600};
    CHECK(tohex(encoded(m, key)) == tohex(want));
  }

  SECTION("permission_request, IPv6 peer") {
    auto want = unhex("04" "0023"                             // L = 16 + 19 = 35
                      "000102030405060708090a0b0c0d0e0f"
                      "02" "20010db8000000000000000000000001" "0d96"   // [2001:db8::1]:3478
                      "7ed8fdc2362762db658de373d9b9f9b5e8288e1b9bb1e6fc4315ad9727963a35");
    permission_request m{id_0_to_15(), ep("[2001:db8::1]:3478")};
    CHECK(tohex(encoded(m, key)) == tohex(want));
  }

  SECTION("refresh_request, refresh_response, deallocate, allocate_error") {
    CHECK(tohex(encoded(refresh_request{id_0_to_15(), 600}, key)) ==
          "06" "0014" "000102030405060708090a0b0c0d0e0f" "00000258"
          "20744ef04cc4707417a22700c8ba8ad0baba136bd1d52aa69c55da367224a44a");
    CHECK(tohex(encoded(refresh_response{600}, key)) ==
          "07" "0004" "00000258"
          "05cd78813d0e268ba35d3759c40b3dbed7d2062e18da5f5911a9e82ead9a55d7");
    CHECK(tohex(encoded(deallocate_request{id_0_to_15()}, key)) ==
          "08" "0010" "000102030405060708090a0b0c0d0e0f"
          "0c8ad860b406f7944ed4ae275d0c9ceded02fa55688e65395123a1ca177ae526");
    CHECK(tohex(encoded(allocate_error{reason_max_sessions}, key)) ==
          "03" "0014" "6d61782073657373696f6e732072656163686564"
          "6d216eb2a71c594f129ee7a3acd800e0ca6ca6c69662e23131bb4b909fd97d7d");
  }

  SECTION("data carries no tag") {
    data_message m{ep("198.51.100.2:51820"), {0xde, 0xad}};
    const char* want = "80" "0009" "01" "c6336402" "ca6c" "dead";
    CHECK(tohex(encoded(m, key)) == want);
    auto plain = encode_data(m);
    REQUIRE(plain.ok());
    CHECK(tohex(*plain) == want);
    // A data frame decodes under any key.
    auto back = decode(unhex(want), derive_auth_key("other"));
    REQUIRE(back.ok());
    CHECK(std::get<data_message>(*back) == m);
  }
}

TEST_CASE("relay message: every message round-trips", "[relay]") {
  auth_key key = derive_auth_key("cluster secret");
  for (const message& m : one_of_each()) {
    INFO(type_name(type_of(m)));
    auto bytes = encoded(m, key);
    CHECK(bytes[0] == static_cast<std::uint8_t>(type_of(m)));
    CHECK(bytes.size() == header_size + ((bytes[1] << 8) | bytes[2]) +
                              (is_control(type_of(m)) ? tag_size : 0));
    auto back = decode(bytes, key);
    REQUIRE(back.ok());
    CHECK(*back == m);
    // Trailing bytes after the frame are ignored.
    bytes.push_back(0xaa);
    bytes.push_back(0x55);
    auto padded = decode(bytes, key);
    REQUIRE(padded.ok());
    CHECK(*padded == m);
  }
}

TEST_CASE("relay message: authentication", "[relay]") {
  auth_key right = derive_auth_key("cluster secret");
  auth_key wrong = derive_auth_key("cluster secreT");
  for (const message& m : one_of_each()) {
    if (!is_control(type_of(m)))
      continue;
    INFO(type_name(type_of(m)));
    auto bytes = encoded(m, right);
    CHECK(decode(bytes, right).ok());

    auto refused = decode(bytes, wrong);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error_message() ==
          std::string("relay decode(") + type_name(type_of(m)) + "): bad tag");

    // Flipping any bit after the type byte is refused: in the length it
    // surfaces as truncation or a bad tag, elsewhere as a bad tag.
    for (std::size_t i = 1; i < bytes.size(); ++i) {
      auto flipped = bytes;
      flipped[i] ^= 0x01;
      auto r = decode(flipped, right);
      CHECK_FALSE(r.ok());
    }
  }
}

TEST_CASE("relay message: error texts never carry the credential or key", "[relay]") {
  const std::string credential = "s3cr3t-credential";
  auth_key key = derive_auth_key(credential);
  auto bytes = encoded(refresh_request{id_0_to_15(), 600}, key);
  bytes[5] ^= 0xff;
  auto r = decode(bytes, key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error_message().find(credential) == std::string::npos);
  CHECK(r.error_message().find(tohex(key.bytes)) == std::string::npos);
}

TEST_CASE("relay message: precise decode errors", "[relay]") {
  auth_key key = derive_auth_key("k");
  using bytes = std::vector<std::uint8_t>;
  auto err = [&](const bytes& b) {
    auto r = decode(b, key);
    REQUIRE_FALSE(r.ok());
    return r.error_message();
  };
  // A control frame with a valid tag over an arbitrary payload.
  auto control = [&](std::uint8_t type, const bytes& payload) {
    // Sized up front: GCC 12 warns wrongly (-Warray-bounds) about
    // vector::insert into a short vector.
    const std::size_t n = header_size + payload.size();
    bytes b(n + tag_size);
    b[0] = type;
    b[1] = static_cast<std::uint8_t>(payload.size() >> 8);
    b[2] = static_cast<std::uint8_t>(payload.size() & 0xff);
    std::copy(payload.begin(), payload.end(), b.begin() + header_size);
    tag32 tag = compute_tag(key, b.data(), n);
    std::copy(tag.begin(), tag.end(), b.begin() + static_cast<std::ptrdiff_t>(n));
    return b;
  };

  CHECK(err({}) == "relay decode: truncated frame: empty datagram");
  CHECK(err({0x00, 0x00, 0x00}) == "relay decode: unknown message type 0x00");
  CHECK(err({0x09}) == "relay decode: unknown message type 0x09");
  CHECK(err({0x81, 0x00, 0x00}) == "relay decode: unknown message type 0x81");
  CHECK(err({0x05, 0x00}) == "relay decode(permission_response): truncated frame: need 3 bytes, got 2");
  CHECK(err({0x05, 0x00, 0x00}) ==
        "relay decode(permission_response): truncated frame: need 35 bytes, got 3");
  CHECK(err({0x80, 0x00, 0x08, 0x01}) == "relay decode(data_message): truncated frame: need 11 bytes, got 4");
  CHECK(err(bytes(max_datagram_size + 1, 0x80)) ==
        "relay decode: oversize: datagram of 65537 bytes exceeds 65536");

  CHECK(err(control(0x02, bytes(26, 0))) ==
        "relay decode(allocate_response): truncated payload: need 27 bytes, got 26");
  bytes v6_resp(30, 0);
  v6_resp[0] = 0x02;
  CHECK(err(control(0x02, v6_resp)) ==
        "relay decode(allocate_response): truncated payload: need 39 bytes, got 30");
  bytes bad_family(27, 0);
  bad_family[0] = 0x03;
  CHECK(err(control(0x02, bad_family)) ==
        "relay decode(allocate_response): unknown address family 0x03");
  CHECK(err(control(0x04, bytes(22, 0))) ==
        "relay decode(permission_request): truncated payload: need 23 bytes, got 22");
  bytes v6_perm(23, 0);
  v6_perm[16] = 0x02;
  CHECK(err(control(0x04, v6_perm)) ==
        "relay decode(permission_request): truncated payload: need 35 bytes, got 23");
  CHECK(err(control(0x06, bytes(19, 0))) ==
        "relay decode(refresh_request): truncated payload: need 20 bytes, got 19");
  CHECK(err(control(0x07, bytes(3, 0))) ==
        "relay decode(refresh_response): truncated payload: need 4 bytes, got 3");
  CHECK(err(control(0x08, bytes(15, 0))) ==
        "relay decode(deallocate_request): truncated payload: need 16 bytes, got 15");
  CHECK(err({0x80, 0x00, 0x03, 0x01, 0x7f, 0x00}) ==
        "relay decode(data_message): truncated address: need 7 bytes, got 3");
  CHECK(err({0x80, 0x00, 0x01, 0x04}) ==
        "relay decode(data_message): unknown address family 0x04");

  SECTION("the original's minimums and leniencies") {
    // A permission request with an IPv4 peer is exactly 23 bytes.
    bytes ipv4_peer(16, 0x11);
    for (std::uint8_t x : {0x01, 10, 0, 0, 1, 0x12, 0x34})
      ipv4_peer.push_back(x);
    auto perm = decode(control(0x04, ipv4_peer), key);
    REQUIRE(perm.ok());
    CHECK(std::get<permission_request>(*perm).peer_addr == ep("10.0.0.1:4660"));
    // Payload bytes after the last field are ignored.
    auto refresh = decode(control(0x07, {0, 0, 1, 0, 0xee, 0xee}), key);
    REQUIRE(refresh.ok());
    CHECK(std::get<refresh_response>(*refresh).lifetime == 256);
    // A username longer than its payload is "unknown", not an error: the
    // original server still allocates.
    auto short_user = decode(control(0x01, {5, 'a', 'b'}), key);
    REQUIRE(short_user.ok());
    CHECK_FALSE(std::get<allocate_request>(*short_user).username.has_value());
    auto no_user = decode(control(0x01, {}), key);
    REQUIRE(no_user.ok());
    CHECK_FALSE(std::get<allocate_request>(*no_user).username.has_value());
    // Any permission_response payload is accepted.
    CHECK(decode(control(0x05, {1, 2, 3}), key).ok());
  }
}

TEST_CASE("relay message: encode limits", "[relay]") {
  auth_key key = derive_auth_key("k");
  auto long_user = encode(allocate_request{std::string(256, 'u')}, key);
  REQUIRE_FALSE(long_user.ok());
  CHECK(long_user.error_message() ==
        "relay encode(allocate_request): username too long: 256 bytes (max 255)");

  // The largest data frame fits a 64 KiB receive buffer exactly.
  data_message biggest{ep("10.0.0.1:1"), std::vector<std::uint8_t>(max_datagram_size - 3 - 7)};
  auto fits = encode_data(biggest);
  REQUIRE(fits.ok());
  CHECK(fits->size() == max_datagram_size);
  auto back = decode(*fits, key);
  REQUIRE(back.ok());
  CHECK(std::get<data_message>(*back) == biggest);

  biggest.raw.push_back(0);
  auto over = encode_data(biggest);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error_message() == "relay encode(data_message): oversize: frame of 65537 bytes exceeds 65536");

  auto big_err = encode(allocate_error{std::string(max_datagram_size - 3 - 32 + 1, 'x')}, key);
  REQUIRE_FALSE(big_err.ok());
  CHECK(big_err.error_message() ==
        "relay encode(allocate_error): oversize: frame of 65537 bytes exceeds 65536");
}

TEST_CASE("relay message: truncation and garbage never crash", "[relay]") {
  auth_key key = derive_auth_key("fuzz");
  std::mt19937 rng(20240611);
  auto byte = [&rng] { return static_cast<std::uint8_t>(rng() & 0xff); };

  // Every prefix of every valid frame: the complete frame decodes, shorter
  // ones are refused.
  for (const message& m : one_of_each()) {
    auto bytes = encoded(m, key);
    for (std::size_t n = 0; n < bytes.size(); ++n)
      CHECK_FALSE(decode(bytes.data(), n, key).ok());
  }

  // Mutated valid frames and pure garbage, with lengths that sometimes
  // agree with the header so the payload parsers are reached.
  const std::uint8_t types[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x80, 0x00, 0xff};
  auto frames = one_of_each();
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> b;
    switch (round % 3) {
    case 0: { // a valid frame with a few random byte changes
      b = encoded(frames[rng() % frames.size()], key);
      for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k)
        b[rng() % b.size()] = byte();
      break;
    }
    case 1: { // random bytes of random length
      b.resize(rng() % 80);
      for (auto& x : b)
        x = byte();
      break;
    }
    default: { // a consistent header over a random data payload
      std::size_t len = rng() % 48;
      b = {0x80, 0, static_cast<std::uint8_t>(len)};
      if (rng() % 2)
        b[0] = types[rng() % std::size(types)];
      for (std::size_t i = 0; i < len + (rng() % 40); ++i)
        b.push_back(byte());
      break;
    }
    }
    auto r = decode(b, key);
    if (r.ok()) {
      ++accepted;
      // Whatever decodes re-encodes to something that decodes the same.
      auto again = encode(*r, key);
      REQUIRE(again.ok());
      auto twice = decode(*again, key);
      REQUIRE(twice.ok());
      CHECK(*twice == *r);
    } else {
      CHECK_FALSE(r.error_message().empty());
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("relay data frames: written and viewed in place", "[relay]") {
  const auto to = *overlayd::net::parse_endpoint("203.0.113.10:40000");
  const std::vector<std::uint8_t> raw{1, 0, 0, 0, 7};
  std::vector<std::uint8_t> frame;
  REQUIRE(write_data_frame(frame, to, raw.data(), raw.size()));
  CHECK(frame == *encode_data(data_message{to, raw}));
  auto view = view_data_frame(frame.data(), frame.size());
  REQUIRE(view.ok());
  CHECK(view->addr == to);
  CHECK(std::vector<std::uint8_t>(frame.begin() + static_cast<std::ptrdiff_t>(view->offset),
                                  frame.end())
        == raw);
  CHECK(view->length == raw.size());
  auto control = *encode(permission_response{}, derive_auth_key("k"));
  CHECK(view_data_frame(control.data(), control.size()).error_message()
        == "relay decode: not a data frame: permission_response");
  frame.resize(frame.size() - 1);
  CHECK_FALSE(view_data_frame(frame.data(), frame.size()).ok());
}
