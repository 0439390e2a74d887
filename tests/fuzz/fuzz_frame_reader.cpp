// fuzz_frame_reader: the Unix-socket framing (messages/frame_codec.hpp) as
// the gateway drives it, the input being the byte stream a client sends,
// delivered in chunks whose sizes the input's first byte chooses; every
// body it cuts goes on to codec detection and decode_frame with the
// daemon's request limits.
// Beyond "no crash":
//   - an accepted frame never exceeds max_frame_bytes, and its body has the
//     declared length;
//   - the frames re-framed with append_frame give back exactly the bytes
//     consumed, and buffered() is what is left (nothing lost or invented);
//   - too_large is sticky and only said for a prefix above the limit;
//   - pending_length() is the next prefix once four bytes are buffered;
//   - the frames do not depend on how the stream was chunked (one feed of
//     everything gives the same ones).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "messages/codec.hpp"
#include "messages/frame_codec.hpp"

using namespace overlayd::msg;

namespace {

struct outcome {
  std::vector<std::string> frames;
  bool too_large = false;
  std::size_t left = 0;
};

std::uint32_t prefix_at(std::string_view s) {
  auto b = [&](std::size_t i) { return std::uint32_t{static_cast<unsigned char>(s[i])}; };
  return b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24);
}

// Reads `stream` fed in chunks of `chunk` bytes (0: all at once).
outcome read_stream(std::string_view stream, std::size_t chunk) {
  outcome o;
  frame_reader reader;
  std::string consumed; // what the frames stand for, re-framed
  std::size_t fed = 0;
  std::string body;
  while (fed < stream.size() && !o.too_large) {
    std::size_t n = chunk == 0 ? stream.size() - fed : std::min(chunk, stream.size() - fed);
    reader.feed(stream.data() + fed, n);
    fed += n;
    for (;;) {
      std::uint32_t declared = 0;
      frame_status st = reader.next(body, declared);
      if (st == frame_status::need_more) {
        std::size_t at = consumed.size();
        if (reader.buffered() >= 4)
          FUZZ_CHECK(reader.pending_length() == prefix_at(stream.substr(at)));
        else
          FUZZ_CHECK(reader.pending_length() == 0);
        break;
      }
      if (st == frame_status::too_large) {
        FUZZ_CHECK(declared > max_frame_bytes);
        FUZZ_CHECK(declared == prefix_at(stream.substr(consumed.size())));
        std::uint32_t again = 0;
        FUZZ_CHECK(reader.next(body, again) == frame_status::too_large && again == declared);
        o.too_large = true;
        break;
      }
      FUZZ_CHECK(declared <= max_frame_bytes);
      FUZZ_CHECK(body.size() == declared);
      append_frame(consumed, body);
      o.frames.push_back(body);
    }
    FUZZ_CHECK(stream.substr(0, consumed.size()) == consumed);
    FUZZ_CHECK(reader.buffered() == fed - consumed.size());
  }
  o.left = reader.buffered();
  return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  // Chunk sizes 1..256: byte-at-a-time delivery and prefixes split across reads.
  std::size_t chunk = std::size_t{data[0]} + 1;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  outcome chunked = read_stream(stream, chunk);
  outcome whole = read_stream(stream, 0);
  FUZZ_CHECK(chunked.frames == whole.frames);
  FUZZ_CHECK(chunked.too_large == whole.too_large);
  if (!whole.too_large)
    FUZZ_CHECK(chunked.left == whole.left);

  for (const auto& body : whole.frames) {
    frame_decode d = decode_frame(body, detect_codec(body), request_document_limits);
    FUZZ_CHECK(d.decoded.has_value() != !d.error.empty());
  }
  return 0;
}
