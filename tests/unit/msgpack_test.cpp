#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "messages/json.hpp"
#include "messages/msgpack_codec.hpp"

using overlayd::msg::parse_msgpack;
using overlayd::msg::to_msgpack;
using overlayd::msg::value;

namespace {

std::string bytes(std::initializer_list<unsigned> list) {
  std::string out;
  for (unsigned b : list)
    out += static_cast<char>(b);
  return out;
}

std::string error_of(const std::string& input) {
  auto r = parse_msgpack(input);
  REQUIRE_FALSE(r.ok());
  return r.error_message();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("msgpack: maps keep string keys in document order", "[codec]") {
  auto doc = value::make_object();
  doc.add("op", "status");
  doc.add("id", std::uint64_t{1});
  CHECK(to_msgpack(doc) == bytes({0x82, 0xa2, 'o', 'p', 0xa6, 's', 't', 'a', 't', 'u', 's',
                                  0xa2, 'i', 'd', 0x01}));
  auto back = parse_msgpack(to_msgpack(doc));
  REQUIRE(back.ok());
  CHECK(back.value() == doc);
}

TEST_CASE("msgpack: integers use the smallest encoding", "[codec]") {
  auto enc = [](auto n) { return to_msgpack(value(n)); };
  CHECK(enc(std::uint64_t{0}) == bytes({0x00}));
  CHECK(enc(std::uint64_t{127}) == bytes({0x7f}));
  CHECK(enc(std::uint64_t{128}) == bytes({0xcc, 0x80}));
  CHECK(enc(std::uint64_t{256}) == bytes({0xcd, 0x01, 0x00}));
  CHECK(enc(std::uint64_t{65536}) == bytes({0xce, 0x00, 0x01, 0x00, 0x00}));
  CHECK(enc(std::uint64_t{18446744073709551615ULL})
        == bytes({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  CHECK(enc(std::int64_t{-1}) == bytes({0xff}));
  CHECK(enc(std::int64_t{-32}) == bytes({0xe0}));
  CHECK(enc(std::int64_t{-33}) == bytes({0xd0, 0xdf}));
  CHECK(enc(std::int64_t{-129}) == bytes({0xd1, 0xff, 0x7f}));
  CHECK(enc(1.5) == bytes({0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
}

TEST_CASE("msgpack: integral floats stay floats", "[codec]") {
  CHECK(to_msgpack(value(1.0)) == bytes({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  CHECK(to_msgpack(value(-0.0)) == bytes({0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0}));
  auto back = parse_msgpack(to_msgpack(value(5500.0)));
  REQUIRE(back.ok());
  CHECK(back.value().type() == value::kind::floating);
  CHECK(overlayd::msg::to_json(back.value()) == "5500.0");
}

TEST_CASE("msgpack: signed encodings of non-negative numbers decode as unsigned", "[codec]") {
  auto v = parse_msgpack(bytes({0xd0, 0x05}));
  REQUIRE(v.ok());
  CHECK(v.value().type() == value::kind::unsigned_integer);
  CHECK(v.value().as_uint() == 5);
  auto neg = parse_msgpack(bytes({0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}));
  REQUIRE(neg.ok());
  CHECK(neg.value().as_int() == INT64_MIN);
  auto f32 = parse_msgpack(bytes({0xca, 0x3f, 0xc0, 0x00, 0x00}));
  REQUIRE(f32.ok());
  CHECK(f32.value() == value(1.5));
}

TEST_CASE("msgpack: long strings switch to str8", "[codec]") {
  CHECK(to_msgpack(value(std::string(31, 'x')))[0] == static_cast<char>(0xbf));
  auto s32 = to_msgpack(value(std::string(32, 'x')));
  CHECK(s32.substr(0, 2) == bytes({0xd9, 0x20}));
  CHECK(parse_msgpack(s32).value() == value(std::string(32, 'x')));
}

TEST_CASE("msgpack: rejects trailing bytes", "[codec]") {
  auto one = to_msgpack(value::make_object());
  CHECK(parse_msgpack(one).ok());
  CHECK(contains(error_of(one + one), "trailing"));
  CHECK(contains(error_of(bytes({0xc0, 0x00})), "1 trailing bytes"));
}

TEST_CASE("msgpack: map keys must be strings", "[codec]") {
  CHECK(contains(error_of(bytes({0x81, 0x01, 0x02})), "map key must be a string"));
  CHECK(contains(error_of(bytes({0x81, 0x90, 0x02})), "map key must be a string"));
  CHECK(contains(error_of(bytes({0x81, 0xc0, 0x02})), "map key must be a string"));
}

TEST_CASE("msgpack: truncated input is an error at every cut", "[codec]") {
  auto doc = overlayd::msg::parse_json(
               R"({"frame":"request","id":300,"request":{"op":"add_peer","peer":{"a":[1,-2,3.5]}}})")
               .value();
  auto packed = to_msgpack(doc);
  for (std::size_t cut = 0; cut < packed.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK_FALSE(parse_msgpack(packed.substr(0, cut)).ok());
  }
  CHECK(parse_msgpack(packed).ok());
  CHECK(contains(error_of(""), "truncated"));
}

TEST_CASE("msgpack: bin, ext, reserved bytes and bad UTF-8 are errors", "[codec]") {
  CHECK(contains(error_of(bytes({0xc4, 0x01, 'x'})), "bin"));
  CHECK(contains(error_of(bytes({0xd4, 0x01, 0x00})), "ext"));
  CHECK(contains(error_of(bytes({0xc7, 0x01, 0x05, 0x00})), "ext"));
  CHECK_FALSE(parse_msgpack(bytes({0xc1})).ok());
  CHECK(contains(error_of(bytes({0xa1, 0xff})), "UTF-8"));
  CHECK(contains(error_of(bytes({0x81, 0xa1, 0xff, 0x00})), "UTF-8"));
}

TEST_CASE("msgpack: nesting is limited like JSON", "[codec]") {
  auto nested = [](int depth) {
    std::string out(static_cast<std::size_t>(depth - 1), static_cast<char>(0x91));
    return out + static_cast<char>(0x90);
  };
  CHECK(parse_msgpack(nested(127)).ok());
  CHECK(contains(error_of(nested(128)), "recursion limit exceeded"));
  CHECK_FALSE(parse_msgpack(std::string(100000, static_cast<char>(0x91))).ok());
}

TEST_CASE("msgpack: huge declared sizes do not allocate up front", "[codec]") {
  // array32 / map32 of 4 billion entries, nested, with no elements present.
  std::string arrays;
  for (int i = 0; i < 100; ++i)
    arrays += bytes({0xdd, 0xff, 0xff, 0xff, 0xff});
  CHECK(contains(error_of(arrays), "truncated"));
  std::string maps = bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k'});
  for (int i = 0; i < 100; ++i)
    maps += bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k'});
  CHECK(contains(error_of(maps), "truncated"));
  CHECK(contains(error_of(bytes({0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'})), "truncated"));
}

TEST_CASE("msgpack: a never-used byte is reported at its offset", "[codec]") {
  CHECK(contains(error_of(bytes({0xc1})), "invalid msgpack at byte 0"));
  CHECK(contains(error_of(bytes({0x92, 0x01, 0xc1})), "invalid msgpack at byte 2"));
}
