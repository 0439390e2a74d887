#include <catch2/catch.hpp>

#include <string>

#include "net/wireguard/keys.hpp"

using namespace overlayd::net::wg;

namespace {

key32 from_hex(const char* s) {
  auto k = key_from_hex(s);
  REQUIRE(k.ok());
  return *k;
}

} // namespace

TEST_CASE("keys: X25519 matches RFC 7748 section 6.1", "[wireguard]") {
  key32 alice = from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  key32 bob = from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  key32 alice_pub = public_key_from_private(alice);
  key32 bob_pub = public_key_from_private(bob);
  CHECK(key_to_hex(alice_pub) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CHECK(key_to_hex(bob_pub) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  key32 k1, k2;
  REQUIRE(x25519(k1, alice, bob_pub));
  REQUIRE(x25519(k2, bob, alice_pub));
  CHECK(keys_equal(k1, k2));
  CHECK(key_to_hex(k1) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  // Clamping does not change the public key.
  key32 clamped = alice;
  clamp_private_key(clamped);
  CHECK(keys_equal(public_key_from_private(clamped), alice_pub));
}

TEST_CASE("keys: low-order points give no shared secret", "[wireguard]") {
  key32 priv = generate_private_key();
  key32 out;
  key32 zero{};
  CHECK_FALSE(x25519(out, priv, zero));
  key32 one{};
  one[0] = 1; // u = 1 has order 4 on the curve
  CHECK_FALSE(x25519(out, priv, one));
  CHECK(key_is_zero(zero));
  CHECK_FALSE(key_is_zero(one));
}

TEST_CASE("keys: generated keys are clamped and distinct", "[wireguard]") {
  key32 a = generate_private_key();
  key32 b = generate_private_key();
  CHECK_FALSE(keys_equal(a, b));
  CHECK((a[0] & 7) == 0);
  CHECK((a[31] & 128) == 0);
  CHECK((a[31] & 64) == 64);
  key32 s1, s2;
  REQUIRE(x25519(s1, a, public_key_from_private(b)));
  REQUIRE(x25519(s2, b, public_key_from_private(a)));
  CHECK(keys_equal(s1, s2));
}

TEST_CASE("keys: base64 round trip and known encodings", "[wireguard]") {
  key32 ab;
  ab.fill(0xab);
  CHECK(key_to_base64(ab) == "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=");
  key32 counting;
  for (int i = 0; i < 32; ++i)
    counting[i] = static_cast<std::uint8_t>(i);
  CHECK(key_to_base64(counting) == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  for (int i = 0; i < 20; ++i) {
    key32 k = generate_private_key();
    std::string text = key_to_base64(k);
    CHECK(text.size() == 44);
    auto back = key_from_base64(text);
    REQUIRE(back.ok());
    CHECK(keys_equal(*back, k));
  }
}

TEST_CASE("keys: base64 errors name the decoded length, never the key", "[wireguard]") {
  auto short_key = key_from_base64("q6urq6urq6urq6urq6urqw=="); // 16 bytes
  REQUIRE_FALSE(short_key.ok());
  CHECK(short_key.error_message() == "Invalid key length: expected 32 bytes, got 16");
  auto long_key = key_from_base64("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur"); // 33 bytes
  REQUIRE_FALSE(long_key.ok());
  CHECK(long_key.error_message() == "Invalid key length: expected 32 bytes, got 33");
  auto empty = key_from_base64("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error_message() == "Invalid key length: expected 32 bytes, got 0");

  const char* bad[] = {
      "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s",   // padding missing
      "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s==", // too much padding
      "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6t=",  // non-zero trailing bits
      "q6ur q6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", // whitespace
      "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6-=",  // URL alphabet
      "not base64 at all!",
  };
  for (const char* text : bad) {
    auto r = key_from_base64(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error_message() == "Invalid base64 key: not standard padded base64");
  }
}

TEST_CASE("keys: hex round trip and errors", "[wireguard]") {
  key32 ab;
  ab.fill(0xab);
  std::string expected;
  for (int i = 0; i < 32; ++i)
    expected += "ab";
  CHECK(key_to_hex(ab) == expected);
  auto upper = key_from_hex(std::string(64, 'A').replace(0, 2, "AB"));
  REQUIRE(upper.ok());
  CHECK((*upper)[0] == 0xab);
  CHECK((*upper)[1] == 0xaa);

  for (int i = 0; i < 20; ++i) {
    key32 k = generate_private_key();
    auto back = key_from_hex(key_to_hex(k));
    REQUIRE(back.ok());
    CHECK(keys_equal(*back, k));
    CHECK(key_to_hex(k).size() == 64);
  }

  auto short_hex = key_from_hex("abcd");
  REQUIRE_FALSE(short_hex.ok());
  CHECK(short_hex.error_message() == "Invalid hex key: expected 64 hex characters, got 4");
  auto not_hex = key_from_hex(std::string(63, 'a') + "g");
  REQUIRE_FALSE(not_hex.ok());
  CHECK(not_hex.error_message() == "Invalid hex key: not a hex string");
  auto spaced = key_from_hex(std::string(62, 'a') + " a");
  REQUIRE_FALSE(spaced.ok());
  CHECK(spaced.error_message() == "Invalid hex key: not a hex string");
}

TEST_CASE("keys: base64 to hex, as UAPI needs it", "[wireguard]") {
  auto k = key_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  REQUIRE(k.ok());
  CHECK(key_to_hex(*k) == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  CHECK(key_to_base64(*key_from_hex(key_to_hex(*k)))
        == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
}
