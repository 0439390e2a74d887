// fuzz_msgpack: the msgpack codec (messages/msgpack_codec.hpp), as a
// client's frame body reaches it: the parser under the daemon's request
// limits (memory grows with the bytes present, never with a declared
// size), and decode_frame binding the document to every request type.
// Beyond "no crash":
//   - a parsed document re-encodes (to_msgpack) to bytes that parse back
//     and re-encode to the same bytes (byte equality, so NaN floats count
//     too);
//   - frames: see frame_round_trip.hpp (decode/encode fixed point, the same
//     across msgpack and JSON, error texts safe to log).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "frame_round_trip.hpp"
#include "messages/msgpack_codec.hpp"

using namespace overlayd::msg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto parsed = parse_msgpack(bytes, request_document_limits);
  if (parsed) {
    std::string packed = to_msgpack(*parsed);
    auto reparsed = parse_msgpack(packed);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(to_msgpack(*reparsed) == packed);
  } else {
    FUZZ_CHECK(!parsed.error_message().empty());
  }

  overlayd::fuzz::check_frame_round_trip(bytes, body_codec::msgpack);
  return 0;
}
