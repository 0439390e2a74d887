// Framing of the Unix-socket stream (contract 1.5, DECISIONS.md 1): each
// body is preceded by its length as a u32 little-endian. The body is JSON
// or msgpack; its first byte tells which.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace overlayd::msg {

// A body of exactly this size is allowed; one byte more is too large.
constexpr std::uint32_t max_frame_bytes = 8 * 1024 * 1024;

// Appends the 4-byte length prefix and the body. The caller keeps bodies
// within max_frame_bytes (the original fails locally and writes nothing).
void append_frame(std::string& out, std::string_view body);

enum class frame_status {
  need_more, // no complete frame buffered yet
  frame,     // `body` holds the next frame's body
  too_large, // the next frame declares more than max_frame_bytes
};

// Cuts a byte stream into frame bodies. Feed it whatever the socket gave,
// then call next() until it returns need_more.
class frame_reader {
public:
  void feed(const char* data, std::size_t n);

  // On `frame`, moves the body into `body` (reusing its capacity) and sets
  // `declared_len`. On `too_large`, only `declared_len` is set; the stream
  // cannot be resynchronised, so the caller answers and closes, and every
  // later call says too_large again.
  frame_status next(std::string& body, std::uint32_t& declared_len);

  // Bytes received but not yet returned as frames.
  std::size_t buffered() const noexcept { return buffer_.size() - read_pos_; }

  // The length the next, still incomplete frame declares, once its prefix
  // is in; 0 before that (so the reader can budget for a large body before
  // its bytes arrive).
  std::uint32_t pending_length() const noexcept;

  // The memory held, for tests of the compaction.
  std::size_t capacity_for_test() const noexcept { return buffer_.capacity(); }

private:
  void compact();

  std::string buffer_;
  std::size_t read_pos_ = 0; // start of the first unread byte in buffer_
};

enum class body_codec { json, msgpack };

// DECISIONS.md 1: after ASCII whitespace, `{` means JSON and anything else
// msgpack. A body that is empty or only whitespace counts as JSON, so its
// error reply ("EOF while parsing a value") is readable by a JSON client.
body_codec detect_codec(std::string_view body);

} // namespace overlayd::msg
