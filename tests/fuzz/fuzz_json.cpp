// fuzz_json: the JSON codec (messages/json.hpp), as a client's frame body
// reaches it: the serde_json-compatible parser under the daemon's request
// limits, and decode_frame binding the document to every request type.
// Beyond "no crash":
//   - a parsed document prints (to_json) to text that parses back to an
//     equal value and prints to the same bytes; the pretty form parses to
//     the same value too;
//   - printed text is valid UTF-8 (serde_json never writes anything else);
//   - frames: see frame_round_trip.hpp (decode/encode fixed point, the same
//     across JSON and msgpack, error texts safe to log).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "frame_round_trip.hpp"
#include "messages/json.hpp"

using namespace overlayd::msg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = parse_json(text, request_document_limits);
  if (parsed) {
    std::string printed = to_json(*parsed);
    FUZZ_CHECK(is_valid_utf8(printed));
    auto reparsed = parse_json(printed);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(*reparsed == *parsed);
    FUZZ_CHECK(to_json(*reparsed) == printed);
    auto pretty = parse_json(to_json_pretty(*parsed));
    FUZZ_CHECK(pretty.ok());
    FUZZ_CHECK(*pretty == *parsed);
  } else {
    FUZZ_CHECK(!parsed.error_message().empty());
  }

  overlayd::fuzz::check_frame_round_trip(text, body_codec::json);
  return 0;
}
