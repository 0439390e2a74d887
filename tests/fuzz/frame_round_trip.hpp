// frame_round_trip: the property both document-codec targets check on a
// frame body. decode_frame binds the document to the contract's types (the
// frame envelope and every request, response and event type), so what it
// accepts must survive the way back:
//   - decode -> encode -> decode succeeds and encodes to the same bytes
//     (the encoding of a decoded frame is a fixed point);
//   - the same through the other codec (JSON <-> msgpack carry the same
//     documents, DECISIONS.md 1);
//   - an error is never empty, and its loggable form holds no control
//     character (no forged log lines from a client's strings).
#pragma once

#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "messages/codec.hpp"

namespace overlayd::fuzz {

inline void check_frame_round_trip(std::string_view body, msg::body_codec codec) {
  using namespace overlayd::msg;
  frame_decode d = decode_frame(body, codec, request_document_limits);
  if (!d.decoded) {
    FUZZ_CHECK(!d.error.empty());
    for (char c : loggable_decode_error(d.error))
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    return;
  }
  std::string first = encode_frame(*d.decoded, codec);
  frame_decode again = decode_frame(first, codec);
  FUZZ_CHECK(again.decoded.has_value());
  FUZZ_CHECK(again.id == d.id);
  FUZZ_CHECK(encode_frame(*again.decoded, codec) == first);

  body_codec other = codec == body_codec::json ? body_codec::msgpack : body_codec::json;
  frame_decode across = decode_frame(encode_frame(*d.decoded, other), other);
  FUZZ_CHECK(across.decoded.has_value());
  FUZZ_CHECK(encode_frame(*across.decoded, codec) == first);
}

} // namespace overlayd::fuzz
