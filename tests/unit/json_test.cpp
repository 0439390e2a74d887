#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "messages/json.hpp"
#include "messages/msgpack_codec.hpp"

using overlayd::msg::format_float;
using overlayd::msg::parse_json;
using overlayd::msg::to_json;
using overlayd::msg::to_json_pretty;
using overlayd::msg::value;

namespace {

value parsed(const std::string& text) {
  auto r = parse_json(text);
  INFO(text);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string error_of(const std::string& text) {
  auto r = parse_json(text);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  return r.error_message();
}

std::string nested(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[')
         + std::string(static_cast<std::size_t>(depth), ']');
}

} // namespace

TEST_CASE("json: compact output round-trips byte for byte", "[codec]") {
  for (const char* text : {
         R"({"frame":"request","id":1,"request":{"op":"status"}})",
         R"([null,true,false,0,-1,1.5,"",[],{}])",
         R"({"a":{"b":[1,[2,[3]]]},"c":"d"})",
         R"({"k":1,"k":2})",
       }) {
    CHECK(to_json(parsed(text)) == text);
  }
}

TEST_CASE("json: integers keep their full range and sign", "[codec]") {
  auto big = parsed("18446744073709551615");
  CHECK(big.type() == value::kind::unsigned_integer);
  CHECK(big.as_uint() == 18446744073709551615ULL);
  CHECK(to_json(big) == "18446744073709551615");

  auto neg = parsed("-9223372036854775808");
  CHECK(neg.type() == value::kind::signed_integer);
  CHECK(neg.as_int() == INT64_MIN);

  CHECK(parsed("-1") == value(std::int64_t{-1}));
  CHECK(parsed("0").type() == value::kind::unsigned_integer);
  CHECK(parsed("-0").type() == value::kind::unsigned_integer);
  CHECK(value(std::int64_t{7}).type() == value::kind::unsigned_integer);

  CHECK(error_of("18446744073709551616") == "number out of range at line 1 column 20");
  CHECK(error_of("-9223372036854775809") == "number out of range at line 1 column 20");
}

TEST_CASE("json: numbers with fraction or exponent are floating", "[codec]") {
  CHECK(parsed("1.0").type() == value::kind::floating);
  CHECK(parsed("1e2").as_double() == 100.0);
  CHECK(parsed("-2.5E-1").as_double() == -0.25);
  CHECK(parsed("1e-400").as_double() == 0.0);
  CHECK(error_of("1e400") == "number out of range at line 1 column 5");
  CHECK(parsed("1.0") != parsed("1"));
}

TEST_CASE("json: floats print like serde_json (ryu)", "[codec]") {
  CHECK(format_float(1.0) == "1.0");
  CHECK(format_float(-0.0) == "-0.0");
  CHECK(format_float(0.1) == "0.1");
  CHECK(format_float(1.5) == "1.5");
  CHECK(format_float(100.0) == "100.0");
  CHECK(format_float(1e15) == "1000000000000000.0");
  CHECK(format_float(1e16) == "1e16");
  CHECK(format_float(1.25e17) == "1.25e17");
  CHECK(format_float(0.001234) == "0.001234");
  CHECK(format_float(1e-7) == "1e-7");
  CHECK(format_float(1.5e300) == "1.5e300");
  CHECK(to_json(value(0.30000000000000004)) == "0.30000000000000004");
  CHECK(to_json(value(std::numeric_limits<double>::infinity())) == "null");
}

TEST_CASE("json: string escapes", "[codec]") {
  auto v = parsed(R"("a\"b\\c\/d\b\f\n\r\t\u0001\u001f\u00e9")");
  CHECK(v.as_string() == "a\"b\\c/d\b\f\n\r\t\x01\x1f\xc3\xa9");
  // Only " \ and control characters are escaped; '/' and non-ASCII stay raw.
  CHECK(to_json(v) == "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001f\xc3\xa9\"");
  CHECK(to_json(value(std::string("\x7f", 1))) == "\"\x7f\"");
  CHECK(to_json(value(std::string("\0", 1))) == "\"\\u0000\"");
}

TEST_CASE("json: unicode and surrogate pairs", "[codec]") {
  CHECK(parsed(R"("\u20ac")").as_string() == "\xe2\x82\xac");
  CHECK(parsed(R"("\ud83d\ude00")").as_string() == "\xf0\x9f\x98\x80");
  CHECK(parsed("\"\xf0\x9f\x98\x80\"").as_string() == "\xf0\x9f\x98\x80");
  CHECK(to_json(parsed(R"("\ud83d\ude00")")) == "\"\xf0\x9f\x98\x80\"");

  CHECK(error_of(R"("\ude00")") == "lone leading surrogate in hex escape at line 1 column 7");
  CHECK(error_of(R"("\ud83d")") == "unexpected end of hex escape at line 1 column 8");
  CHECK(error_of(R"("\ud83d\u0041")")
        == "lone leading surrogate in hex escape at line 1 column 13");
  CHECK(error_of(R"("\ud83dx")") == "unexpected end of hex escape at line 1 column 8");
}

TEST_CASE("json: invalid UTF-8 is rejected", "[codec]") {
  for (const char* bad : {
         "\"\xff\"",             // never valid
         "\"\xc3\"",             // truncated sequence
         "\"\xc0\xaf\"",         // overlong '/'
         "\"\xed\xa0\x80\"",     // encoded surrogate
         "\"\xf4\x90\x80\x80\"", // above U+10FFFF
       }) {
    auto r = parse_json(bad);
    CHECK_FALSE(r.ok());
    if (!r.ok())
      CHECK(r.error_message().find("invalid unicode code point") == 0);
  }
  CHECK(error_of("\xff") == "expected value at line 1 column 1");
}

TEST_CASE("json: duplicate keys are kept in order", "[codec]") {
  auto v = parsed(R"({"a":1,"b":2,"a":3})");
  REQUIRE(v.as_object().size() == 3);
  CHECK(v.as_object()[2].first == "a");
  CHECK(v.find("a")->as_uint() == 1);
  CHECK(v.find("z") == nullptr);
}

TEST_CASE("json: depth limit is serde_json's", "[codec]") {
  CHECK(parse_json(nested(127)).ok());
  CHECK(error_of(nested(128)) == "recursion limit exceeded at line 1 column 128");
  CHECK_FALSE(parse_json(std::string(100000, '[')).ok());
  std::string objects;
  for (int i = 0; i < 128; ++i)
    objects += "{\"a\":";
  CHECK(error_of(objects).find("recursion limit exceeded") == 0);
}

TEST_CASE("json: malformed input gives serde_json's messages", "[codec]") {
  CHECK(error_of("") == "EOF while parsing a value at line 1 column 0");
  CHECK(error_of("   ") == "EOF while parsing a value at line 1 column 3");
  CHECK(error_of("{\"a\":1} x") == "trailing characters at line 1 column 9");
  CHECK(error_of("{\"a\":1}}") == "trailing characters at line 1 column 8");
  CHECK(error_of("01") == "invalid number at line 1 column 2");
  CHECK(error_of("-01") == "invalid number at line 1 column 3");
  CHECK(error_of("-") == "EOF while parsing a value at line 1 column 1");
  CHECK(error_of("-x") == "invalid number at line 1 column 2");
  CHECK(error_of("1.") == "EOF while parsing a value at line 1 column 2");
  CHECK(error_of("1.x") == "invalid number at line 1 column 3");
  CHECK(error_of("1e") == "EOF while parsing a value at line 1 column 2");
  CHECK(error_of("{\"a\":") == "EOF while parsing a value at line 1 column 5");
  CHECK(error_of("{\"a\"") == "EOF while parsing an object at line 1 column 4");
  CHECK(error_of("{\"a\" 1}") == "expected `:` at line 1 column 6");
  CHECK(error_of("{\"a\":1,}") == "trailing comma at line 1 column 8");
  CHECK(error_of("{\"a\":1 \"b\":2}") == "expected `,` or `}` at line 1 column 8");
  CHECK(error_of("{1:2}") == "key must be a string at line 1 column 2");
  CHECK(error_of("[1,]") == "trailing comma at line 1 column 4");
  CHECK(error_of("[1 2]") == "expected `,` or `]` at line 1 column 4");
  CHECK(error_of("[1") == "EOF while parsing a list at line 1 column 2");
  CHECK(error_of("\"abc") == "EOF while parsing a string at line 1 column 4");
  CHECK(error_of(R"("\x")") == "invalid escape at line 1 column 3");
  CHECK(error_of(R"("\u12g4")") == "invalid escape at line 1 column 7");
  CHECK(error_of(R"("\u12)") == "EOF while parsing a string at line 1 column 5");
  CHECK(error_of("\"a\nb\"")
        == "control character (\\u0000-\\u001F) found while parsing a string at line 2 "
           "column 0");
  CHECK(error_of("nul") == "EOF while parsing a value at line 1 column 3");
  CHECK(error_of("nulx") == "expected ident at line 1 column 4");
  CHECK(error_of("{\n  \"a\": x\n}") == "expected value at line 2 column 8");
  CHECK(error_of("'a'") == "expected value at line 1 column 1");
  CHECK(error_of("NaN") == "expected value at line 1 column 1");
  CHECK(error_of("+1") == "expected value at line 1 column 1");
}

TEST_CASE("json: whitespace around the value is allowed", "[codec]") {
  CHECK(parsed(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n ") == parsed(R"({"a":[1,2]})"));
}

TEST_CASE("json: pretty printing matches serde's PrettyFormatter", "[codec]") {
  auto v = parsed(R"({"a":[1,{"b":null}],"e":{},"f":[],"g":"x"})");
  CHECK(to_json_pretty(v) == "{\n"
                             "  \"a\": [\n"
                             "    1,\n"
                             "    {\n"
                             "      \"b\": null\n"
                             "    }\n"
                             "  ],\n"
                             "  \"e\": {},\n"
                             "  \"f\": [],\n"
                             "  \"g\": \"x\"\n"
                             "}");
  CHECK(to_json_pretty(value(std::uint64_t{3})) == "3");
  CHECK(parse_json(to_json_pretty(v)).value() == v);
}

TEST_CASE("value: describe() uses serde's words", "[codec]") {
  CHECK(value("3").describe() == "string \"3\"");
  CHECK(value("a\"b\n").describe() == "string \"a\\\"b\\n\"");
  CHECK(value(std::int64_t{-1}).describe() == "integer `-1`");
  CHECK(value(std::uint64_t{5}).describe() == "integer `5`");
  CHECK(value(true).describe() == "boolean `true`");
  CHECK(value(1.5).describe() == "floating point `1.5`");
  CHECK(value(2.0).describe() == "floating point `2.0`");
  CHECK(value().describe() == "null");
  CHECK(value::make_array().describe() == "sequence");
  CHECK(value::make_object().describe() == "map");
}

TEST_CASE("value: equality is by kind and content, objects in order", "[codec]") {
  auto a = value::make_object();
  a.add("x", std::uint64_t{1});
  a.add("y", "z");
  auto b = value::make_object();
  b.add("y", "z");
  b.add("x", std::uint64_t{1});
  CHECK(a != b);
  auto c = a;
  CHECK(a == c);
  c.add("w", nullptr);
  CHECK(a != c);
  CHECK(value(std::int64_t{5}) == value(std::uint64_t{5}));
  CHECK(value(1.0) != value(std::uint64_t{1}));
  auto arr = value::make_array();
  arr.push_back(true);
  CHECK(arr.as_array().size() == 1);
  CHECK(arr != value::make_array());
}

TEST_CASE("json -> value -> msgpack -> value is lossless", "[codec]") {
  const char* text =
    R"({"frame":"response","id":18446744073709551615,"response":{"result":"status",)"
    R"("neg":-42,"small":-1,"f":0.5,"one":1.0,"big":1e300,"s":"caf\u00e9 \ud83d\ude00 \"q\"",)"
    R"("n":null,"t":true,"list":[1,[2,{"x":[]}],{}],"dup":1,"dup":2}})";
  auto doc = parsed(text);
  auto packed = overlayd::msg::to_msgpack(doc);
  auto back = overlayd::msg::parse_msgpack(packed);
  REQUIRE(back.ok());
  CHECK(back.value() == doc);
  CHECK(to_json(back.value()) == to_json(doc));
}
