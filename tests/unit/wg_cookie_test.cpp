#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstring>
#include <string>

#include "hex_bytes.hpp"
#include "net/wireguard/cookie.hpp"
#include "net/wireguard/handshake.hpp"

using namespace overlayd::net::wg;
using overlayd::testing::tohex;
using overlayd::testing::unhex;
using namespace std::chrono_literals;

namespace {

using initiation_msg = std::array<std::uint8_t, initiation::size>;
using reply_msg = std::array<std::uint8_t, cookie_reply::size>;

const std::chrono::system_clock::time_point wall0{std::chrono::seconds(1700000000)};

bool mac2_is_zero(const initiation_msg& m) {
  for (std::size_t i = initiation::mac2; i < initiation::size; ++i)
    if (m[i] != 0)
      return false;
  return true;
}

struct loaded_responder {
  loaded_responder()
      : alice(static_identity::from_private_key(generate_private_key())),
        bob(static_identity::from_private_key(generate_private_key())),
        alice_bob(alice, bob.public_key), bob_alice(bob, alice.public_key),
        checker(bob.public_key) {}

  static_identity alice;
  static_identity bob;
  peer_handshake_state alice_bob;
  peer_handshake_state bob_alice;
  cookie_checker checker; // Bob's
  steady_time now = steady_time{} + 1h;
  // 192.0.2.1:51820 as the device would encode it: address bytes, then the port.
  std::array<std::uint8_t, 6> source{192, 0, 2, 1, 0xca, 0x6c};
};

} // namespace

TEST_CASE("cookie: label keys are HASH(label || public key)", "[wireguard]") {
  key32 pub;
  for (int i = 0; i < 32; ++i)
    pub[i] = static_cast<std::uint8_t>(i);
  // Expected: Python hashlib.blake2s(b"mac1----" + bytes(range(32))) and "cookie--".
  CHECK(tohex(mac1_key_for(pub))
        == "4fb2527ac956001553dc1ad9b55171b7d9daa3de1cdbcd71451830170c7e6cac");
  CHECK(tohex(cookie_key_for(pub))
        == "3dd5869c5202e45146936d1644f76ff697061661c181f3fd450eae43932eacec");
  static_identity id = static_identity::from_private_key(generate_private_key());
  CHECK(id.mac1_key == mac1_key_for(id.public_key));
  CHECK(id.cookie_key == cookie_key_for(id.public_key));
}

TEST_CASE("cookie: round trip under load", "[wireguard]") {
  loaded_responder r;
  initiation_msg first;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 0x0badcafe, make_tai64n(wall0), r.now,
                            first.data())
          == handshake_error::none);
  CHECK(mac2_is_zero(first)); // no cookie yet
  REQUIRE(r.checker.check_mac1(first.data(), first.size()));
  CHECK_FALSE(r.checker.check_mac2(first.data(), first.size(), r.source.data(), r.source.size(),
                                   r.now));

  // Under load Bob answers with a cookie reply instead of a response.
  reply_msg reply;
  REQUIRE(r.checker.create_reply(first.data(), first.size(), r.source.data(), r.source.size(),
                                 r.now, reply.data()));
  CHECK(read_message_type(reply.data(), reply.size()) == 3u);
  CHECK(load_le32(reply.data() + cookie_reply::receiver) == 0x0badcafeu);

  REQUIRE(r.alice_bob.cookies.consume_reply(reply.data(), reply.size(), r.now + 1s));
  CHECK(r.alice_bob.cookies.has_fresh_cookie(r.now + 1s));

  // Alice's retry carries mac2, which Bob's checker accepts from that address only.
  initiation_msg retry;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 0x0badcaff, make_tai64n(wall0 + 5s),
                            r.now + 5s, retry.data())
          == handshake_error::none);
  CHECK_FALSE(mac2_is_zero(retry));
  CHECK(r.checker.check_mac1(retry.data(), retry.size()));
  CHECK(r.checker.check_mac2(retry.data(), retry.size(), r.source.data(), r.source.size(),
                             r.now + 5s));
  auto other = r.source;
  other[5] ^= 1; // another port
  CHECK_FALSE(r.checker.check_mac2(retry.data(), retry.size(), other.data(), other.size(),
                                   r.now + 5s));

  // And the handshake then completes as usual.
  pending_initiation pending;
  REQUIRE(consume_initiation(r.bob, retry.data(), retry.size(), pending)
          == handshake_error::none);
  REQUIRE(complete_initiation(r.bob_alice, pending, r.now + 5s) == handshake_error::none);

  // A flipped bit anywhere in the message fails mac2.
  for (std::size_t byte = 0; byte < initiation::size; ++byte) {
    initiation_msg bad = retry;
    bad[byte] ^= 0x10;
    CHECK_FALSE(r.checker.check_mac2(bad.data(), bad.size(), r.source.data(), r.source.size(),
                                     r.now + 5s));
  }
}

TEST_CASE("cookie: a cookie older than 120 s is not used", "[wireguard]") {
  loaded_responder r;
  initiation_msg msg;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 1, make_tai64n(wall0), r.now, msg.data())
          == handshake_error::none);
  reply_msg reply;
  REQUIRE(r.checker.create_reply(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                 r.now, reply.data()));
  REQUIRE(r.alice_bob.cookies.consume_reply(reply.data(), reply.size(), r.now));

  REQUIRE(create_initiation(r.alice, r.alice_bob, 2, make_tai64n(wall0 + 119s), r.now + 119s,
                            msg.data())
          == handshake_error::none);
  CHECK_FALSE(mac2_is_zero(msg));
  CHECK(r.checker.check_mac2(msg.data(), msg.size(), r.source.data(), r.source.size(),
                             r.now + 119s));

  CHECK_FALSE(r.alice_bob.cookies.has_fresh_cookie(r.now + 120s));
  REQUIRE(create_initiation(r.alice, r.alice_bob, 3, make_tai64n(wall0 + 120s), r.now + 120s,
                            msg.data())
          == handshake_error::none);
  CHECK(mac2_is_zero(msg));
}

TEST_CASE("cookie: the checker's secret rotates every 120 s", "[wireguard]") {
  loaded_responder r;
  initiation_msg msg;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 1, make_tai64n(wall0), r.now, msg.data())
          == handshake_error::none);
  reply_msg reply;
  REQUIRE(r.checker.create_reply(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                 r.now, reply.data()));
  REQUIRE(r.alice_bob.cookies.consume_reply(reply.data(), reply.size(), r.now));
  REQUIRE(create_initiation(r.alice, r.alice_bob, 2, make_tai64n(wall0 + 100s), r.now + 100s,
                            msg.data())
          == handshake_error::none);
  CHECK(r.checker.check_mac2(msg.data(), msg.size(), r.source.data(), r.source.size(),
                             r.now + 100s));
  // The secret expired: nothing passes until a new reply rotates it...
  CHECK_FALSE(r.checker.check_mac2(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                   r.now + 121s));
  REQUIRE(r.checker.create_reply(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                 r.now + 121s, reply.data()));
  // ...and cookies from the old secret stay invalid after it.
  CHECK_FALSE(r.checker.check_mac2(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                   r.now + 122s));
  REQUIRE(r.alice_bob.cookies.consume_reply(reply.data(), reply.size(), r.now + 122s));
  REQUIRE(create_initiation(r.alice, r.alice_bob, 3, make_tai64n(wall0 + 123s), r.now + 123s,
                            msg.data())
          == handshake_error::none);
  CHECK(r.checker.check_mac2(msg.data(), msg.size(), r.source.data(), r.source.size(),
                             r.now + 123s));
}

TEST_CASE("cookie: bad cookie replies are refused", "[wireguard]") {
  loaded_responder r;
  initiation_msg msg;
  reply_msg reply;

  // Nothing sent yet: no reply can be for us.
  cookie_consumer fresh(r.bob.public_key);
  REQUIRE(create_initiation(r.alice, r.alice_bob, 1, make_tai64n(wall0), r.now, msg.data())
          == handshake_error::none);
  REQUIRE(r.checker.create_reply(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                 r.now, reply.data()));
  CHECK_FALSE(fresh.consume_reply(reply.data(), reply.size(), r.now));

  // Wrong size, wrong type, any flipped bit.
  CHECK_FALSE(r.alice_bob.cookies.consume_reply(reply.data(), reply.size() - 1, r.now));
  reply_msg typed = reply;
  typed[0] = 2;
  CHECK_FALSE(r.alice_bob.cookies.consume_reply(typed.data(), typed.size(), r.now));
  for (std::size_t byte = cookie_reply::nonce; byte < cookie_reply::size; ++byte) {
    reply_msg bad = reply;
    bad[byte] ^= 0x01;
    CHECK_FALSE(r.alice_bob.cookies.consume_reply(bad.data(), bad.size(), r.now));
  }
  CHECK_FALSE(r.alice_bob.cookies.has_fresh_cookie(r.now));

  // A reply sealed under another responder's key.
  static_identity carol = static_identity::from_private_key(generate_private_key());
  cookie_checker carol_checker(carol.public_key);
  reply_msg foreign;
  REQUIRE(carol_checker.create_reply(msg.data(), msg.size(), r.source.data(), r.source.size(),
                                     r.now, foreign.data()));
  CHECK_FALSE(r.alice_bob.cookies.consume_reply(foreign.data(), foreign.size(), r.now));

  // A reply to an older message: its AD (that message's mac1) no longer matches.
  initiation_msg newer;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 2, make_tai64n(wall0 + 1s), r.now + 1s,
                            newer.data())
          == handshake_error::none);
  CHECK_FALSE(r.alice_bob.cookies.consume_reply(reply.data(), reply.size(), r.now + 1s));

  // The genuine reply to the latest message works.
  REQUIRE(r.checker.create_reply(newer.data(), newer.size(), r.source.data(), r.source.size(),
                                 r.now + 1s, reply.data()));
  CHECK(r.alice_bob.cookies.consume_reply(reply.data(), reply.size(), r.now + 1s));

  // Too short to answer.
  CHECK_FALSE(r.checker.create_reply(msg.data(), 39, r.source.data(), r.source.size(), r.now,
                                     reply.data()));
}

TEST_CASE("cookie: mac1 checks", "[wireguard]") {
  loaded_responder r;
  initiation_msg msg;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 1, make_tai64n(wall0), r.now, msg.data())
          == handshake_error::none);
  CHECK(r.checker.check_mac1(msg.data(), msg.size()));
  CHECK(verify_mac1(r.bob.mac1_key, msg.data(), msg.size()));
  CHECK_FALSE(r.checker.check_mac1(msg.data(), 20));
  CHECK_FALSE(r.checker.check_mac1(msg.data(), 0));
  cookie_checker alices(r.alice.public_key);
  CHECK_FALSE(alices.check_mac1(msg.data(), msg.size()));
  msg[initiation::mac1] ^= 1;
  CHECK_FALSE(r.checker.check_mac1(msg.data(), msg.size()));
}

TEST_CASE("cookie: the responder's answer can carry mac2 too", "[wireguard]") {
  // The initiator under load may send a cookie reply to a response; the
  // responder's next response then carries mac2.
  loaded_responder r;
  cookie_checker alice_checker(r.alice.public_key);
  initiation_msg init;
  REQUIRE(create_initiation(r.alice, r.alice_bob, 1, make_tai64n(wall0), r.now, init.data())
          == handshake_error::none);
  pending_initiation pending;
  REQUIRE(consume_initiation(r.bob, init.data(), init.size(), pending) == handshake_error::none);
  REQUIRE(complete_initiation(r.bob_alice, pending, r.now) == handshake_error::none);
  std::array<std::uint8_t, response::size> resp;
  transport_keys bk;
  REQUIRE(create_response(r.bob_alice, 7, r.now, resp.data(), bk) == handshake_error::none);
  reply_msg reply;
  REQUIRE(alice_checker.create_reply(resp.data(), resp.size(), r.source.data(), r.source.size(),
                                     r.now, reply.data()));
  CHECK(load_le32(reply.data() + cookie_reply::receiver) == 7u);
  REQUIRE(r.bob_alice.cookies.consume_reply(reply.data(), reply.size(), r.now));

  REQUIRE(create_initiation(r.alice, r.alice_bob, 2, make_tai64n(wall0 + 1s), r.now + 1s,
                            init.data())
          == handshake_error::none);
  REQUIRE(consume_initiation(r.bob, init.data(), init.size(), pending) == handshake_error::none);
  REQUIRE(complete_initiation(r.bob_alice, pending, r.now + 1s) == handshake_error::none);
  REQUIRE(create_response(r.bob_alice, 8, r.now + 1s, resp.data(), bk) == handshake_error::none);
  CHECK(alice_checker.check_mac2(resp.data(), resp.size(), r.source.data(), r.source.size(),
                                 r.now + 1s));
  transport_keys ak;
  CHECK(consume_response(r.alice, r.alice_bob, resp.data(), resp.size(), ak)
        == handshake_error::none);
}
