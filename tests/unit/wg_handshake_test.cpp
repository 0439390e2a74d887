#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstring>
#include <string>

#include "hex_bytes.hpp"
#include "net/wireguard/handshake.hpp"
#include "net/wireguard/transport_crypto.hpp"

using namespace overlayd::net::wg;
using overlayd::testing::tohex;
using overlayd::testing::unhex;
using namespace std::chrono_literals;

namespace {

using initiation_msg = std::array<std::uint8_t, initiation::size>;
using response_msg = std::array<std::uint8_t, response::size>;

const std::chrono::system_clock::time_point wall0{std::chrono::seconds(1700000000)};

tai64n stamp(std::chrono::seconds after) {
  return make_tai64n(wall0 + after);
}

// Alice initiates to Bob; each holds the other as a peer.
struct two_peers {
  explicit two_peers(const key32& psk = key32{})
      : alice(static_identity::from_private_key(generate_private_key())),
        bob(static_identity::from_private_key(generate_private_key())),
        alice_bob(alice, bob.public_key, psk), bob_alice(bob, alice.public_key, psk) {}

  static_identity alice;
  static_identity bob;
  peer_handshake_state alice_bob; // Alice's view of Bob
  peer_handshake_state bob_alice; // Bob's view of Alice
  steady_time now = steady_time{} + 1h;
};

// Bob's side of an initiation: both steps, with the peer "looked up".
handshake_error bob_takes(two_peers& p, const std::uint8_t* msg, std::size_t len,
                          steady_time now) {
  pending_initiation pending;
  handshake_error e = consume_initiation(p.bob, msg, len, pending);
  if (e != handshake_error::none)
    return e;
  if (!keys_equal(pending.remote_static, p.alice.public_key))
    return handshake_error::peer_mismatch;
  return complete_initiation(p.bob_alice, pending, now);
}

void full_handshake(two_peers& p, transport_keys& alice_keys, transport_keys& bob_keys,
                    std::chrono::seconds at = 0s) {
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 0x11223344, stamp(at), p.now + at, init.data())
          == handshake_error::none);
  REQUIRE(bob_takes(p, init.data(), init.size(), p.now + at) == handshake_error::none);
  response_msg resp;
  REQUIRE(create_response(p.bob_alice, 0x55667788, p.now + at, resp.data(), bob_keys)
          == handshake_error::none);
  REQUIRE(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), alice_keys)
          == handshake_error::none);
}

void put_mac1(std::uint8_t* msg, std::size_t len, const key32& receiver_public) {
  mac16 m = compute_mac1(mac1_key_for(receiver_public), msg, len);
  std::memcpy(msg + len - macs_size, m.data(), m.size());
}

} // namespace

TEST_CASE("handshake: initial chaining key and hash match published values", "[wireguard]") {
  // The same bytes appear in boringtun (INITIAL_CHAIN_KEY / INITIAL_CHAIN_HASH)
  // and in other independent WireGuard implementations.
  CHECK(tohex(initial_chaining_key())
        == "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
  CHECK(tohex(initial_hash())
        == "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

TEST_CASE("handshake: TAI64N layout, whitening and order", "[wireguard]") {
  using std::chrono::system_clock;
  CHECK(tohex(make_tai64n(system_clock::time_point{})) == "400000000000000a00000000");
  // 1 s + 20 ms: 20'000'000 ns rounds down to 2^24 = 0x01000000.
  auto t = system_clock::time_point{} + std::chrono::milliseconds(1020);
  CHECK(tohex(make_tai64n(t)) == "400000000000000b01000000");
  // Before the epoch clamps to the epoch instead of wrapping.
  CHECK(tohex(make_tai64n(system_clock::time_point{} - 5s)) == "400000000000000a00000000");
  CHECK(tai64n_after(stamp(1s), stamp(0s)));
  CHECK_FALSE(tai64n_after(stamp(0s), stamp(0s)));
  CHECK_FALSE(tai64n_after(stamp(0s), stamp(1s)));
  CHECK(tai64n_after(make_tai64n(wall0 + 17ms), make_tai64n(wall0)));
}

TEST_CASE("handshake: two peers derive matching keys and exchange data", "[wireguard]") {
  key32 psk{};
  SECTION("without psk") {}
  SECTION("with psk") { psk = generate_private_key(); }
  two_peers p(psk);
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 0x11223344, stamp(0s), p.now, init.data())
          == handshake_error::none);
  // Wire layout: type 1 + three zero bytes, sender index little-endian.
  CHECK(tohex(std::array<std::uint8_t, 8>{init[0], init[1], init[2], init[3], init[4], init[5],
                                          init[6], init[7]})
        == "0100000044332211");
  CHECK(p.alice_bob.phase == handshake_phase::initiation_created);

  pending_initiation pending;
  REQUIRE(consume_initiation(p.bob, init.data(), init.size(), pending) == handshake_error::none);
  CHECK(keys_equal(pending.remote_static, p.alice.public_key));
  CHECK(pending.remote_index == 0x11223344u);
  REQUIRE(complete_initiation(p.bob_alice, pending, p.now) == handshake_error::none);
  CHECK(p.bob_alice.phase == handshake_phase::initiation_consumed);

  response_msg resp;
  transport_keys bob_keys, alice_keys;
  REQUIRE(create_response(p.bob_alice, 0x55667788, p.now, resp.data(), bob_keys)
          == handshake_error::none);
  CHECK(tohex(std::array<std::uint8_t, 12>{resp[0], resp[1], resp[2], resp[3], resp[4], resp[5],
                                           resp[6], resp[7], resp[8], resp[9], resp[10], resp[11]})
        == "020000008877665544332211");
  REQUIRE(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), alice_keys)
          == handshake_error::none);

  CHECK(keys_equal(alice_keys.send, bob_keys.receive));
  CHECK(keys_equal(alice_keys.receive, bob_keys.send));
  CHECK_FALSE(keys_equal(alice_keys.send, alice_keys.receive));
  CHECK(alice_keys.is_initiator);
  CHECK_FALSE(bob_keys.is_initiator);
  CHECK(alice_keys.local_index == 0x11223344u);
  CHECK(alice_keys.remote_index == 0x55667788u);
  CHECK(bob_keys.local_index == 0x55667788u);
  CHECK(bob_keys.remote_index == 0x11223344u);

  // Ephemeral state is gone on both sides.
  for (auto* st : {&p.alice_bob, &p.bob_alice}) {
    CHECK(st->phase == handshake_phase::zeroed);
    CHECK(key_is_zero(st->hash));
    CHECK(key_is_zero(st->chaining_key));
    CHECK(key_is_zero(st->local_ephemeral));
    CHECK(key_is_zero(st->remote_ephemeral));
  }

  // Data sealed by one side opens at the other, both ways.
  std::uint8_t buf[64 + aead_tag_size];
  const char text[] = "ping from alice through the tunnel";
  std::memcpy(buf, text, sizeof text);
  std::size_t sealed = seal_in_place(alice_keys.send, 0, buf, sizeof text);
  std::size_t plain = 0;
  REQUIRE(open_in_place(bob_keys.receive, 0, buf, sealed, plain));
  CHECK(plain == sizeof text);
  CHECK(std::memcmp(buf, text, sizeof text) == 0);

  const char reply[] = "pong from bob";
  std::memcpy(buf, reply, sizeof reply);
  sealed = seal_in_place(bob_keys.send, 7, buf, sizeof reply);
  std::uint8_t copy[sizeof buf];
  std::memcpy(copy, buf, sealed);
  CHECK_FALSE(open_in_place(alice_keys.receive, 6, copy, sealed, plain)); // wrong counter
  std::memcpy(copy, buf, sealed);
  CHECK_FALSE(open_in_place(alice_keys.send, 7, copy, sealed, plain)); // wrong direction
  REQUIRE(open_in_place(alice_keys.receive, 7, buf, sealed, plain));
  CHECK(std::memcmp(buf, reply, sizeof reply) == 0);
}

TEST_CASE("handshake: fresh handshakes give fresh keys", "[wireguard]") {
  two_peers p;
  transport_keys a1, b1, a2, b2;
  full_handshake(p, a1, b1, 0s);
  full_handshake(p, a2, b2, 5s);
  CHECK(keys_equal(a2.send, b2.receive));
  CHECK_FALSE(keys_equal(a1.send, a2.send));
}

TEST_CASE("handshake: mismatched psk fails at the initiator", "[wireguard]") {
  key32 psk = generate_private_key();
  two_peers p(psk);
  p.bob_alice.preshared_key = generate_private_key();
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(0s), p.now, init.data())
          == handshake_error::none);
  REQUIRE(bob_takes(p, init.data(), init.size(), p.now) == handshake_error::none);
  response_msg resp;
  transport_keys bk, ak;
  REQUIRE(create_response(p.bob_alice, 2, p.now, resp.data(), bk) == handshake_error::none);
  CHECK(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), ak)
        == handshake_error::decrypt_failed);
  CHECK(p.alice_bob.phase == handshake_phase::initiation_created); // still waiting
}

TEST_CASE("handshake: a replayed initiation is rejected", "[wireguard]") {
  two_peers p;
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(10s), p.now, init.data())
          == handshake_error::none);
  REQUIRE(bob_takes(p, init.data(), init.size(), p.now) == handshake_error::none);

  // The same bytes again, long after the flood interval.
  CHECK(bob_takes(p, init.data(), init.size(), p.now + 5s)
        == handshake_error::replayed_timestamp);
  // The replay did not disturb the handshake in progress.
  response_msg resp;
  transport_keys bk, ak;
  REQUIRE(create_response(p.bob_alice, 2, p.now, resp.data(), bk) == handshake_error::none);
  REQUIRE(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), ak)
          == handshake_error::none);
  CHECK(keys_equal(ak.send, bk.receive));

  // A genuine initiation with an older or equal timestamp is refused too.
  initiation_msg older;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 3, stamp(9s), p.now + 6s, older.data())
          == handshake_error::none);
  CHECK(bob_takes(p, older.data(), older.size(), p.now + 6s)
        == handshake_error::replayed_timestamp);
  REQUIRE(create_initiation(p.alice, p.alice_bob, 4, stamp(10s), p.now + 7s, older.data())
          == handshake_error::none);
  CHECK(bob_takes(p, older.data(), older.size(), p.now + 7s)
        == handshake_error::replayed_timestamp);
  // A newer one is taken.
  REQUIRE(create_initiation(p.alice, p.alice_bob, 5, stamp(11s), p.now + 8s, older.data())
          == handshake_error::none);
  CHECK(bob_takes(p, older.data(), older.size(), p.now + 8s) == handshake_error::none);
}

TEST_CASE("handshake: initiations faster than 50 per second are refused", "[wireguard]") {
  two_peers p;
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(1s), p.now, init.data())
          == handshake_error::none);
  REQUIRE(bob_takes(p, init.data(), init.size(), p.now) == handshake_error::none);
  REQUIRE(create_initiation(p.alice, p.alice_bob, 2, stamp(2s), p.now, init.data())
          == handshake_error::none);
  CHECK(bob_takes(p, init.data(), init.size(), p.now + 10ms) == handshake_error::flood);
  CHECK(bob_takes(p, init.data(), init.size(), p.now + 30ms) == handshake_error::none);
}

TEST_CASE("handshake: initiations with the wrong static key are rejected", "[wireguard]") {
  two_peers p;
  static_identity eve = static_identity::from_private_key(generate_private_key());

  SECTION("an unknown initiator is only named, never accepted") {
    peer_handshake_state eve_bob(eve, p.bob.public_key);
    initiation_msg init;
    REQUIRE(create_initiation(eve, eve_bob, 9, stamp(0s), p.now, init.data())
            == handshake_error::none);
    pending_initiation pending;
    REQUIRE(consume_initiation(p.bob, init.data(), init.size(), pending)
            == handshake_error::none);
    CHECK(keys_equal(pending.remote_static, eve.public_key)); // the caller finds no such peer
    CHECK(complete_initiation(p.bob_alice, pending, p.now) == handshake_error::peer_mismatch);
    CHECK(p.bob_alice.phase == handshake_phase::zeroed);
  }

  SECTION("claiming Alice's key without her private key fails the ss step") {
    static_identity fake = eve;
    fake.public_key = p.alice.public_key; // says Alice, holds Eve's private key
    peer_handshake_state fake_bob(fake, p.bob.public_key);
    initiation_msg init;
    REQUIRE(create_initiation(fake, fake_bob, 9, stamp(0s), p.now, init.data())
            == handshake_error::none);
    pending_initiation pending;
    REQUIRE(consume_initiation(p.bob, init.data(), init.size(), pending)
            == handshake_error::none);
    CHECK(keys_equal(pending.remote_static, p.alice.public_key));
    CHECK(complete_initiation(p.bob_alice, pending, p.now) == handshake_error::decrypt_failed);
    CHECK(p.bob_alice.phase == handshake_phase::zeroed);
  }

  SECTION("an initiation meant for another responder") {
    peer_handshake_state alice_eve(p.alice, eve.public_key);
    initiation_msg init;
    REQUIRE(create_initiation(p.alice, alice_eve, 9, stamp(0s), p.now, init.data())
            == handshake_error::none);
    pending_initiation pending;
    CHECK(consume_initiation(p.bob, init.data(), init.size(), pending)
          == handshake_error::bad_mac1);
    // Even with a mac1 that fits Bob, the static does not decrypt.
    put_mac1(init.data(), init.size(), p.bob.public_key);
    CHECK(consume_initiation(p.bob, init.data(), init.size(), pending)
          == handshake_error::decrypt_failed);
  }
}

TEST_CASE("handshake: truncated and padded messages are rejected", "[wireguard]") {
  two_peers p;
  std::array<std::uint8_t, initiation::size + 1> init{};
  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(0s), p.now, init.data())
          == handshake_error::none);
  pending_initiation pending;
  for (std::size_t len = 0; len < init.size(); ++len) {
    if (len == initiation::size)
      continue;
    CHECK(consume_initiation(p.bob, init.data(), len, pending) == handshake_error::wrong_size);
  }
  REQUIRE(bob_takes(p, init.data(), initiation::size, p.now) == handshake_error::none);

  std::array<std::uint8_t, response::size + 1> resp{};
  transport_keys bk, ak;
  REQUIRE(create_response(p.bob_alice, 2, p.now, resp.data(), bk) == handshake_error::none);
  for (std::size_t len = 0; len < resp.size(); ++len) {
    if (len == response::size)
      continue;
    CHECK(consume_response(p.alice, p.alice_bob, resp.data(), len, ak)
          == handshake_error::wrong_size);
  }
  CHECK(consume_response(p.alice, p.alice_bob, resp.data(), response::size, ak)
        == handshake_error::none);
}

TEST_CASE("handshake: a flipped bit anywhere in an initiation is caught", "[wireguard]") {
  two_peers p;
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 0x01020304, stamp(0s), p.now, init.data())
          == handshake_error::none);
  // Everything before mac2 is covered by mac1 and the AEADs; mac2 is the
  // cookie checker's (see the cookie tests), so only the first 132 bytes here.
  int rejected = 0;
  for (std::size_t byte = 0; byte < initiation::mac2; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      initiation_msg bad = init;
      bad[byte] ^= static_cast<std::uint8_t>(1u << bit);
      handshake_error e = bob_takes(p, bad.data(), bad.size(), p.now);
      CHECK(e != handshake_error::none);
      rejected += e != handshake_error::none;
      // With a mac1 recomputed for the damaged bytes, the AEADs still catch
      // every change in the encrypted fields and the ephemeral key.
      if (byte >= initiation::ephemeral && byte < initiation::mac1) {
        put_mac1(bad.data(), bad.size(), p.bob.public_key);
        CHECK(bob_takes(p, bad.data(), bad.size(), p.now) != handshake_error::none);
      }
    }
  }
  CHECK(rejected == 8 * static_cast<int>(initiation::mac2));
  CHECK(p.bob_alice.phase == handshake_phase::zeroed);
  // None of that spoiled the real one.
  CHECK(bob_takes(p, init.data(), init.size(), p.now) == handshake_error::none);
}

TEST_CASE("handshake: a flipped bit anywhere in a response is caught", "[wireguard]") {
  two_peers p;
  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 0x01020304, stamp(0s), p.now, init.data())
          == handshake_error::none);
  REQUIRE(bob_takes(p, init.data(), init.size(), p.now) == handshake_error::none);
  response_msg resp;
  transport_keys bk, ak;
  REQUIRE(create_response(p.bob_alice, 0x0a0b0c0d, p.now, resp.data(), bk)
          == handshake_error::none);
  for (std::size_t byte = 0; byte < response::mac2; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      response_msg bad = resp;
      bad[byte] ^= static_cast<std::uint8_t>(1u << bit);
      CHECK(consume_response(p.alice, p.alice_bob, bad.data(), bad.size(), ak)
            != handshake_error::none);
      // The sender index is outside the Noise transcript (only mac1 covers it),
      // so only the fields from the receiver index on are tried again.
      if (byte >= response::receiver && byte < response::mac1) {
        put_mac1(bad.data(), bad.size(), p.alice.public_key);
        CHECK(consume_response(p.alice, p.alice_bob, bad.data(), bad.size(), ak)
              != handshake_error::none);
      }
    }
  }
  // Alice's pending handshake survived all of it.
  REQUIRE(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), ak)
          == handshake_error::none);
  CHECK(keys_equal(ak.send, bk.receive));
  // And a response is good only once.
  CHECK(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), ak)
        == handshake_error::wrong_state);
}

TEST_CASE("handshake: steps out of order and bad mac1 are refused", "[wireguard]") {
  two_peers p;
  response_msg resp{};
  transport_keys k;
  CHECK(create_response(p.bob_alice, 1, p.now, resp.data(), k) == handshake_error::wrong_state);
  write_message_type(resp.data(), message_type::handshake_response);
  put_mac1(resp.data(), resp.size(), p.alice.public_key);
  CHECK(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), k)
        == handshake_error::wrong_state);

  initiation_msg init;
  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(0s), p.now, init.data())
          == handshake_error::none);
  initiation_msg zeroed_mac = init;
  std::memset(zeroed_mac.data() + initiation::mac1, 0, mac_size);
  pending_initiation pending;
  CHECK(consume_initiation(p.bob, zeroed_mac.data(), zeroed_mac.size(), pending)
        == handshake_error::bad_mac1);
  // A response to a different sender index.
  store_le32(resp.data() + response::receiver, 2);
  put_mac1(resp.data(), resp.size(), p.alice.public_key);
  CHECK(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), k)
        == handshake_error::wrong_index);
  // Wrong type word: an initiation handed to consume_response and the other way.
  CHECK(consume_initiation(p.bob, resp.data(), resp.size(), pending)
        == handshake_error::wrong_size);
  initiation_msg typed = init;
  typed[1] = 1; // reserved byte set: unknown type
  CHECK(consume_initiation(p.bob, typed.data(), typed.size(), pending)
        == handshake_error::wrong_type);
}

TEST_CASE("handshake: low-order public keys are refused", "[wireguard]") {
  two_peers p;
  peer_handshake_state to_nowhere(p.alice, key32{});
  CHECK(key_is_zero(to_nowhere.static_static));
  initiation_msg init;
  CHECK(create_initiation(p.alice, to_nowhere, 1, stamp(0s), p.now, init.data())
        == handshake_error::bad_public_key);

  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(0s), p.now, init.data())
          == handshake_error::none);
  std::memset(init.data() + initiation::ephemeral, 0, 32);
  put_mac1(init.data(), init.size(), p.bob.public_key);
  pending_initiation pending;
  CHECK(consume_initiation(p.bob, init.data(), init.size(), pending)
        == handshake_error::bad_public_key);

  // A response carrying a low-order ephemeral.
  REQUIRE(create_initiation(p.alice, p.alice_bob, 1, stamp(1s), p.now, init.data())
          == handshake_error::none);
  REQUIRE(bob_takes(p, init.data(), init.size(), p.now) == handshake_error::none);
  response_msg resp;
  transport_keys bk, ak;
  REQUIRE(create_response(p.bob_alice, 2, p.now, resp.data(), bk) == handshake_error::none);
  std::memset(resp.data() + response::ephemeral, 0, 32);
  put_mac1(resp.data(), resp.size(), p.alice.public_key);
  CHECK(consume_response(p.alice, p.alice_bob, resp.data(), resp.size(), ak)
        == handshake_error::bad_public_key);
}

TEST_CASE("handshake: error names", "[wireguard]") {
  CHECK(std::string(to_string(handshake_error::replayed_timestamp)) == "replayed timestamp");
  CHECK(std::string(to_string(handshake_error::bad_mac1)) == "bad mac1");
}
