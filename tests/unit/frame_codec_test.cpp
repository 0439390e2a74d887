#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/frame_codec.hpp"

using overlayd::msg::append_frame;
using overlayd::msg::body_codec;
using overlayd::msg::detect_codec;
using overlayd::msg::frame_reader;
using overlayd::msg::frame_status;
using overlayd::msg::max_frame_bytes;

namespace {

std::string prefix(std::uint32_t len) {
  std::string out;
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((len >> (8 * i)) & 0xFF);
  return out;
}

// Every complete body the reader yields for the bytes fed so far.
std::vector<std::string> drain(frame_reader& reader) {
  std::vector<std::string> bodies;
  std::string body;
  std::uint32_t len = 0;
  while (reader.next(body, len) == frame_status::frame) {
    CHECK(len == body.size());
    bodies.push_back(body);
  }
  return bodies;
}

} // namespace

TEST_CASE("frame: u32 little-endian length prefix", "[codec]") {
  std::string out;
  append_frame(out, R"({"op":"status"})");
  CHECK(out == std::string("\x0f\x00\x00\x00", 4) + R"({"op":"status"})");
  std::string big;
  append_frame(big, std::string(0x010203, 'x'));
  CHECK(big.substr(0, 4) == std::string("\x03\x02\x01\x00", 4));
}

TEST_CASE("frame: byte-at-a-time feeding yields each frame once", "[codec]") {
  std::string stream;
  append_frame(stream, "first");
  append_frame(stream, "");
  append_frame(stream, "third body");
  frame_reader reader;
  std::vector<std::string> bodies;
  for (char c : stream) {
    reader.feed(&c, 1);
    for (auto& b : drain(reader))
      bodies.push_back(b);
  }
  CHECK(bodies == std::vector<std::string>{"first", "", "third body"});
  CHECK(reader.buffered() == 0);
}

TEST_CASE("frame: several frames in one feed, then a split one", "[codec]") {
  std::string stream;
  for (int i = 0; i < 50; ++i)
    append_frame(stream, "frame " + std::to_string(i));
  std::string tail;
  append_frame(tail, "split across feeds");
  stream += tail.substr(0, 7);

  frame_reader reader;
  reader.feed(stream.data(), stream.size());
  auto bodies = drain(reader);
  REQUIRE(bodies.size() == 50);
  CHECK(bodies[49] == "frame 49");
  CHECK(reader.buffered() == 7);

  reader.feed(tail.data() + 7, tail.size() - 7);
  CHECK(drain(reader) == std::vector<std::string>{"split across feeds"});
  CHECK(reader.buffered() == 0);
}

TEST_CASE("frame: a zero-length body is an empty frame", "[codec]") {
  frame_reader reader;
  auto p = prefix(0);
  reader.feed(p.data(), p.size());
  std::string body = "stale";
  std::uint32_t len = 99;
  CHECK(reader.next(body, len) == frame_status::frame);
  CHECK(body.empty());
  CHECK(len == 0);
  CHECK(reader.next(body, len) == frame_status::need_more);
}

TEST_CASE("frame: exactly the maximum is allowed, one more is too large", "[codec]") {
  REQUIRE(max_frame_bytes == 8388608u);
  {
    frame_reader reader;
    auto p = prefix(8388608);
    reader.feed(p.data(), p.size());
    std::string body;
    std::uint32_t len = 0;
    CHECK(reader.next(body, len) == frame_status::need_more);
    std::string payload(8388608, 'a');
    reader.feed(payload.data(), payload.size());
    CHECK(reader.next(body, len) == frame_status::frame);
    CHECK(body.size() == 8388608u);
    CHECK(len == 8388608u);
  }
  {
    frame_reader reader;
    auto p = prefix(8388609);
    reader.feed(p.data(), p.size());
    std::string body;
    std::uint32_t len = 0;
    CHECK(reader.next(body, len) == frame_status::too_large);
    CHECK(len == 8388609u);
    CHECK(reader.next(body, len) == frame_status::too_large); // stays broken
  }
  {
    frame_reader reader;
    auto p = prefix(0xFFFFFFFF);
    reader.feed(p.data(), 3);
    std::string body;
    std::uint32_t len = 0;
    CHECK(reader.next(body, len) == frame_status::need_more);
    reader.feed(p.data() + 3, 1);
    CHECK(reader.next(body, len) == frame_status::too_large);
    CHECK(len == 0xFFFFFFFFu);
  }
}

TEST_CASE("frame: the buffer does not grow over a long-lived connection", "[codec]") {
  frame_reader reader;
  std::string frame;
  append_frame(frame, std::string(1000, 'z'));
  for (int i = 0; i < 10000; ++i) {
    // Each feed ends mid-frame, so the reader always holds a partial frame.
    std::string chunk = frame.substr(500) + frame.substr(0, 500);
    if (i == 0)
      chunk = frame.substr(0, 500);
    reader.feed(chunk.data(), chunk.size());
    auto bodies = drain(reader);
    CHECK(bodies.size() == (i == 0 ? 0u : 1u));
    REQUIRE(reader.buffered() == 500);
  }
  CHECK(reader.capacity_for_test() < 16 * 1024);
}

TEST_CASE("frame: an idle reader gives back the memory of a large frame", "[codec]") {
  frame_reader reader;
  std::string frame;
  append_frame(frame, std::string(4 * 1024 * 1024, 'x'));
  reader.feed(frame.data(), frame.size());
  std::string body;
  std::uint32_t len = 0;
  REQUIRE(reader.next(body, len) == frame_status::frame);
  CHECK(body.size() == 4 * 1024 * 1024);
  CHECK(reader.buffered() == 0);
  CHECK(reader.capacity_for_test() < 64 * 1024);
}

TEST_CASE("frame: the pending length is known from the prefix on", "[codec]") {
  frame_reader reader;
  std::string frame;
  append_frame(frame, std::string(300000, 'y'));
  reader.feed(frame.data(), 3);
  CHECK(reader.pending_length() == 0);
  reader.feed(frame.data() + 3, 100);
  CHECK(reader.pending_length() == 300000);
  std::string body;
  std::uint32_t len = 0;
  CHECK(reader.next(body, len) == frame_status::need_more);
  reader.feed(frame.data() + 103, frame.size() - 103);
  CHECK(reader.next(body, len) == frame_status::frame);
  CHECK(reader.pending_length() == 0);
}

TEST_CASE("frame: codec detection", "[codec]") {
  CHECK(detect_codec(R"({"op":"status"})") == body_codec::json);
  CHECK(detect_codec(" \t\r\n{}") == body_codec::json);
  CHECK(detect_codec(std::string("\x81\xa2op", 4)) == body_codec::msgpack);
  CHECK(detect_codec("[1]") == body_codec::msgpack);
  CHECK(detect_codec(" x") == body_codec::msgpack);
  CHECK(detect_codec("") == body_codec::json);
  CHECK(detect_codec("  ") == body_codec::json);
}
