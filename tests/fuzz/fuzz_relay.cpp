// fuzz_relay: the relay protocol codec (net/relay/relay_message.hpp) on
// datagrams a relay server or client receives, with a fixed auth key. The
// first input byte picks whether the harness signs the rest (rewriting its
// last 32 bytes as the correct tag over the 3 + L bytes the header
// declares), so control payloads are parsed too, not only refused as
// "bad tag".
// Beyond "no crash":
//   - a decoded message re-encodes, and that decodes to an equal message;
//   - data frames: view_data_frame agrees with decode (address, payload
//     bytes), write_data_frame builds exactly what encode_data builds;
//   - nothing over max_datagram_size is accepted; a frame signed with
//     another key never decodes as a control message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "net/relay/relay_message.hpp"

using namespace overlayd::net;
using namespace overlayd::net::relay;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  static const auth_key key = derive_auth_key("fuzz relay credential");
  static const auth_key other_key = derive_auth_key("another credential");

  std::vector<std::uint8_t> frame(data + 1, data + size);
  const bool sign = data[0] & 1;
  if (sign && frame.size() >= header_size && frame[0] != 0x80) {
    std::size_t declared = std::size_t{frame[1]} << 8 | frame[2];
    std::size_t signed_len = header_size + declared;
    if (frame.size() >= signed_len + tag_size) {
      tag32 tag = compute_tag(key, frame.data(), signed_len);
      std::memcpy(frame.data() + signed_len, tag.data(), tag.size());
    }
  }

  auto decoded = decode(frame, key);
  if (!decoded) {
    FUZZ_CHECK(!decoded.error_message().empty());
    return 0;
  }
  FUZZ_CHECK(frame.size() <= max_datagram_size);
  const message& m = *decoded;

  auto encoded = encode(m, key);
  FUZZ_CHECK(encoded.ok());
  FUZZ_CHECK(encoded->size() <= max_datagram_size);
  auto again = decode(*encoded, key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == m);

  if (is_control(type_of(m))) {
    FUZZ_CHECK(!decode(frame, other_key).ok());
    return 0;
  }

  const auto& d = std::get<data_message>(m);
  auto view = view_data_frame(frame.data(), frame.size());
  FUZZ_CHECK(view.ok());
  FUZZ_CHECK(view->addr == d.addr);
  FUZZ_CHECK(view->length == d.raw.size());
  FUZZ_CHECK(view->offset + view->length <= frame.size());
  FUZZ_CHECK(std::equal(d.raw.begin(), d.raw.end(), frame.begin() + view->offset));

  std::vector<std::uint8_t> written;
  FUZZ_CHECK(write_data_frame(written, d.addr, d.raw.data(), d.raw.size()));
  auto built = encode_data(d);
  FUZZ_CHECK(built.ok());
  FUZZ_CHECK(written == *built);
  return 0;
}
