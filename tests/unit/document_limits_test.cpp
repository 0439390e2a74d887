#include <catch2/catch.hpp>

#include <string>

#include "messages/codec.hpp"
#include "messages/json.hpp"
#include "messages/msgpack_codec.hpp"

namespace msg = overlayd::msg;

namespace {

// A JSON array of `n` zeros.
std::string json_zeros(std::size_t n) {
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i)
    out += i == 0 ? "0" : ",0";
  return out + "]";
}

// A msgpack array32 of `n` nils.
std::string msgpack_nils(std::size_t n) {
  std::string out{static_cast<char>(0xdd), static_cast<char>(n >> 24),
                  static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + std::string(n, static_cast<char>(0xc0));
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("document limits: the element count covers the whole tree", "[codec]") {
  msg::document_limits four{msg::max_document_depth, 4};
  // The array and three members: four values.
  CHECK(msg::parse_json("[0,1,2]", four).ok());
  CHECK(msg::parse_msgpack(msgpack_nils(3), four).ok());
  auto json = msg::parse_json("[0,1,2,3]", four);
  REQUIRE_FALSE(json.ok());
  CHECK(contains(json.error_message(), "document has more than 4 values"));
  auto packed = msg::parse_msgpack(msgpack_nils(4), four);
  REQUIRE_FALSE(packed.ok());
  CHECK(contains(packed.error_message(), "document has more than 4 values"));
  // Object keys are not values: {"a":0,"b":0,"c":0} is four, in both codecs.
  CHECK(msg::parse_json(R"({"a":0,"b":0,"c":0})", four).ok());
  auto object = msg::parse_json(R"({"a":0,"b":0,"c":0})");
  REQUIRE(object.ok());
  CHECK(msg::parse_msgpack(msg::to_msgpack(*object), four).ok());
  // Nested containers count too.
  CHECK_FALSE(msg::parse_json("[[[[[]]]]]", four).ok());
}

TEST_CASE("document limits: a lower depth is enforced by both codecs", "[codec]") {
  msg::document_limits shallow{4, 1000};
  CHECK(msg::parse_json("[[[]]]", shallow).ok());
  CHECK(contains(msg::parse_json("[[[[]]]]", shallow).error_message(), "recursion limit"));
  auto deep = msg::parse_json("[[[[]]]]");
  REQUIRE(deep.ok());
  CHECK(contains(msg::parse_msgpack(msg::to_msgpack(*deep), shallow).error_message(),
                 "recursion limit"));
}

TEST_CASE("document limits: an 8 MiB array of nils is refused as a request", "[codec]") {
  // The frame the attack sent: a map whose value is 8 million nils.
  std::string body{static_cast<char>(0x81), static_cast<char>(0xa1), 'x'};
  body += msgpack_nils(8'000'000);
  auto decoded = msg::decode_frame(body, msg::body_codec::msgpack, msg::request_document_limits);
  CHECK_FALSE(decoded.decoded);
  CHECK(contains(decoded.error, "document has more than 65536 values"));
  auto json = msg::decode_frame(json_zeros(70'000), msg::body_codec::json,
                                msg::request_document_limits);
  CHECK(contains(json.error, "document has more than 65536 values"));
  // Without limits (a client reading a large status) the same body parses.
  CHECK(msg::parse_msgpack(msgpack_nils(100'000)).ok());
}

TEST_CASE("document limits: the contract's requests fit easily", "[codec]") {
  const char* add_peer =
    R"({"frame":"request","id":14,"request":{"op":"add_peer","public_key":"cGVlcg==",)"
    R"("endpoint":"203.0.113.7:51820","allowed_ips":"10.200.0.16/28",)"
    R"("persistent_keepalive_secs":25,"candidates":[{"candidate_type":"host",)"
    R"("address":"192.168.1.5:51820","priority":100}],"scope":{"scope":"global"}}})";
  msg::document_limits tight{msg::max_document_depth, 32};
  auto decoded = msg::decode_frame(add_peer, msg::body_codec::json, tight);
  INFO(decoded.error);
  CHECK(decoded.decoded);
}
