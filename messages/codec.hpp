// The codec facade: a frame body (JSON or msgpack, DECISIONS.md 1) to a
// typed frame and back. Both syntaxes go through the same document tree and
// the same binding, so they carry exactly the same documents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "messages/document_limits.hpp"
#include "messages/frame_codec.hpp"
#include "messages/frames.hpp"
#include "messages/value.hpp"

namespace overlayd::msg {

struct frame_decode {
  std::optional<frame> decoded;
  // When not decoded: what was wrong, e.g. "frame codec error:
  // request.handle.pid: invalid value: integer `-1`, expected u32".
  std::string error;
  // The frame's id when it could be read (so an error reply can carry it),
  // else 0 (DECISIONS.md 2).
  std::uint64_t id = 0;
};

// `limits` bounds the decoded tree; the daemon passes
// request_document_limits for what its clients send.
frame_decode decode_frame(std::string_view body);
frame_decode decode_frame(std::string_view body, body_codec codec, document_limits limits = {});

// A decode error for the log: the strings it quotes (the client's values,
// which may be credentials in the wrong place) elided as "...". The client
// itself gets the whole error, as serde would write it.
std::string loggable_decode_error(std::string_view error);

std::string encode_frame(const frame& f, body_codec codec);
std::string encode_response(std::uint64_t id, const response& r, body_codec codec);
std::string encode_request(std::uint64_t id, const request& r, body_codec codec);

// The document tree of a frame, and a frame from a document tree.
value frame_to_document(const frame& f);
frame_decode frame_from_document(const value& document);

// Parses a request given as the bare request object ({"op":"status"}), as
// `overlayctl call` takes it.
std::optional<request> request_from_json(std::string_view json, std::string& error);

// Renders a response as JSON (the bare response object), for printing.
std::string response_to_json(const response& r);

} // namespace overlayd::msg
