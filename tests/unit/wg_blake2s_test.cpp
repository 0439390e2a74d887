#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "hex_bytes.hpp"
#include "net/wireguard/blake2s.hpp"

using namespace overlayd::net::wg;
using overlayd::testing::tohex;
using overlayd::testing::unhex;

namespace {

std::vector<std::uint8_t> counting(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::uint8_t>(i);
  return v;
}

const std::uint8_t* bytes(const char* s) {
  return reinterpret_cast<const std::uint8_t*>(s);
}

// RFC 7693 Appendix E: deterministic input (Fibonacci generator).
void selftest_seq(std::uint8_t* out, std::size_t len, std::uint32_t seed) {
  std::uint32_t a = 0xDEAD4BADu * seed;
  std::uint32_t b = 1;
  for (std::size_t i = 0; i < len; ++i) {
    std::uint32_t t = a + b;
    a = b;
    b = t;
    out[i] = static_cast<std::uint8_t>(t >> 24);
  }
}

} // namespace

TEST_CASE("blake2s: RFC 7693 Appendix B and the empty input", "[wireguard]") {
  CHECK(tohex(hash(bytes("abc"), 3))
        == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  CHECK(tohex(hash(nullptr, 0))
        == "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

TEST_CASE("blake2s: RFC 7693 Appendix E self-test grand hash", "[wireguard]") {
  const std::string expected = "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe";
  const std::size_t md_len[4] = {16, 20, 28, 32};
  const std::size_t in_len[6] = {0, 3, 64, 65, 255, 1024};
  std::uint8_t in[1024], md[32], key[32];
  blake2s grand;
  REQUIRE(grand.init(32));
  for (std::size_t outlen : md_len) {
    for (std::size_t inlen : in_len) {
      selftest_seq(in, inlen, static_cast<std::uint32_t>(inlen));
      REQUIRE(blake2s_hash(md, outlen, in, inlen));
      grand.update(md, outlen);
      selftest_seq(key, outlen, static_cast<std::uint32_t>(outlen));
      REQUIRE(blake2s_hash(md, outlen, in, inlen, key, outlen));
      grand.update(md, outlen);
    }
  }
  std::uint8_t out[32];
  grand.final(out);
  CHECK(tohex(std::vector<std::uint8_t>(out, out + 32)) == expected);
}

TEST_CASE("blake2s: keyed known answers from blake2s-kat", "[wireguard]") {
  // key = 00..1f, input = 00..(n-1)
  struct kat {
    std::size_t len;
    const char* digest;
  } kats[] = {
      {0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
      {1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
      {2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"},
      {78, "172ffc67153d12e0ca76a8b6cd5d4731885b39ce0cac93a8972a18006c8b8baf"},
      {164, "4f8ce1e51d2fe7f24043a904d898ebfc91975418753413aa099b795ecb35cedb"},
      {255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"},
  };
  auto key = counting(32);
  for (const auto& k : kats) {
    auto in = counting(k.len);
    std::vector<std::uint8_t> out(32);
    REQUIRE(blake2s_hash(out.data(), 32, in.data(), in.size(), key.data(), key.size()));
    CHECK(tohex(out) == k.digest);
    // The same through every two-piece split of the input.
    for (std::size_t cut = 0; cut <= in.size(); cut += 7) {
      blake2s st;
      REQUIRE(st.init(32, key.data(), key.size()));
      st.update(in.data(), cut);
      st.update(in.data() + cut, in.size() - cut);
      std::vector<std::uint8_t> split(32);
      st.final(split.data());
      CHECK(split == out);
    }
  }
}

TEST_CASE("blake2s: incremental updates of any size agree with one shot", "[wireguard]") {
  auto data = counting(300);
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 127u, 128u, 129u, 300u}) {
    digest32 whole = hash(data.data(), n);
    for (std::size_t chunk : {1u, 5u, 63u, 64u, 65u, 100u}) {
      blake2s st;
      REQUIRE(st.init(32));
      for (std::size_t off = 0; off < n; off += chunk)
        st.update(data.data() + off, std::min(chunk, n - off));
      digest32 pieces;
      st.final(pieces.data());
      CHECK(pieces == whole);
    }
  }
}

TEST_CASE("blake2s: bad parameters are refused", "[wireguard]") {
  blake2s st;
  std::uint8_t key[33] = {};
  CHECK_FALSE(st.init(0));
  CHECK_FALSE(st.init(33));
  CHECK_FALSE(st.init(32, key, 33));
  CHECK(st.init(1));
  CHECK(st.init(32, key, 32));
  std::uint8_t out[32];
  CHECK_FALSE(blake2s_hash(out, 0, nullptr, 0));
}

TEST_CASE("blake2s: MAC is keyed BLAKE2s-128", "[wireguard]") {
  // Independent values: Python hashlib.blake2s(b"hello", key=..., digest_size=16).
  auto k32 = counting(32);
  auto k16 = counting(16);
  CHECK(tohex(mac(k32.data(), 32, bytes("hello"), 5)) == "1f946dc212a39570bc06fd378517a91e");
  CHECK(tohex(mac(k16.data(), 16, bytes("hello"), 5)) == "6a25fa5a331f36d9bda9c0aeca70bc0b");
}

TEST_CASE("blake2s: HMAC-BLAKE2s matches an independent implementation", "[wireguard]") {
  // Expected values: Python hmac.new(key, msg, hashlib.blake2s).
  auto k32 = counting(32);
  CHECK(tohex(hmac_blake2s(k32.data(), 32, bytes("abc"), 3))
        == "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");
  const char* fox = "The quick brown fox jumps over the lazy dog";
  CHECK(tohex(hmac_blake2s(bytes("key"), 3, bytes(fox), std::strlen(fox)))
        == "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0");
  auto k100 = counting(100); // longer than a block: hashed first
  auto m200 = counting(200);
  CHECK(tohex(hmac_blake2s(k100.data(), 100, m200.data(), 200))
        == "c4c95271905c6f69c1dd7c6fbc0cb3735457a660ccc2c4370f28825e7abef5af");
  CHECK(tohex(hmac_blake2s(nullptr, 0, nullptr, 0))
        == "eaf4bb25938f4d20e72656bbbc7a9bf63c0c18537333c35bdb67db1402661acd");
}

TEST_CASE("blake2s: KDF1/2/3 follow the whitepaper's definition", "[wireguard]") {
  digest32 key;
  auto c0 = unhex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
  std::copy(c0.begin(), c0.end(), key.begin());
  auto input = counting(32);

  digest32 a1, a2, a3, b1, b2, c1;
  kdf3(a1, a2, a3, key, input.data(), input.size());
  // Expected values: T0 = HMAC(key, in), T1 = HMAC(T0, 1), Ti = HMAC(T0, T(i-1) || i),
  // computed with Python's hmac module.
  CHECK(tohex(a1) == "6ff66e10ab4a55ac8144a867fcd9f8ee64d4bd6239223338cb3437cf085ab031");
  CHECK(tohex(a2) == "203b22d63d63e35cebb9e40210cf8c1d7f90879428a4c766cda9ef34bb299398");
  CHECK(tohex(a3) == "35a7b2fc3e4f59db341dbe588e3b75897980c463d5bbb855f8ed8134ff40133a");

  kdf2(b1, b2, key, input.data(), input.size());
  kdf1(c1, key, input.data(), input.size());
  CHECK(b1 == a1);
  CHECK(b2 == a2);
  CHECK(c1 == a1);

  // The definition, spelled out with hmac_blake2s.
  digest32 t0 = hmac_blake2s(key.data(), 32, input.data(), input.size());
  std::uint8_t one = 1;
  CHECK(hmac_blake2s(t0.data(), 32, &one, 1) == a1);
  std::uint8_t t1_2[33];
  std::memcpy(t1_2, a1.data(), 32);
  t1_2[32] = 2;
  CHECK(hmac_blake2s(t0.data(), 32, t1_2, 33) == a2);

  // Empty input, as for the transport keys.
  digest32 e1, e2;
  kdf2(e1, e2, key, nullptr, 0);
  CHECK(tohex(e1) == "bd968725a9177942a8c2e4253d1dde31cf7b19ec001b4a3a3d141cd9d998d3ba");
  CHECK(tohex(e2) == "aab5462b323780fa615bf80ffe469510239ff361575a663968e686a7ae41d693");

  // Outputs may alias the key (C = KDF(C, ...)).
  digest32 ck = key, k2;
  kdf2(ck, k2, ck, input.data(), input.size());
  CHECK(ck == a1);
  CHECK(k2 == a2);
}
