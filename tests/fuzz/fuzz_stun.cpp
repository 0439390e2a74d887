// fuzz_stun: the STUN codec (net/nat/stun_message.hpp) on datagrams from
// the shared WireGuard socket: the demultiplexing test, the transaction id,
// and the reading of a Binding response, once against the datagram's own
// transaction id (so the attribute walk is reached) and once against
// another.
// Beyond "no crash":
//   - looks_like_stun is false for every WireGuard message type (1..4 as a
//     little-endian u32), true only for >= 20 bytes whose declared length
//     is a multiple of 4 and covers the rest exactly;
//   - stun_transaction_id_of answers exactly when looks_like_stun, with
//     bytes 8..19;
//   - a parsed response looks like STUN, and a response to another id is
//     refused;
//   - the endpoint read back: written into a fresh XOR-MAPPED-ADDRESS
//     response it parses to the same endpoint; and make_binding_request
//     round-trips its id.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "net/nat/stun_message.hpp"

using namespace overlayd::net;
using namespace overlayd::net::nat;

namespace {

// A Binding success response with one XOR-MAPPED-ADDRESS (RFC 5389 15.2).
std::vector<std::uint8_t> xor_mapped_response(const endpoint& e, const stun_transaction_id& id) {
  const bool v4 = e.address.is_v4();
  const std::size_t addr_len = v4 ? 4 : 16;
  const std::size_t value_len = 4 + addr_len;
  std::vector<std::uint8_t> m(stun_header_size + 4 + value_len);
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    m[at] = static_cast<std::uint8_t>(v >> 8);
    m[at + 1] = static_cast<std::uint8_t>(v);
  };
  put16(0, stun_binding_success);
  put16(2, static_cast<std::uint16_t>(4 + value_len));
  const std::uint8_t cookie[4] = {0x21, 0x12, 0xA4, 0x42};
  std::memcpy(&m[4], cookie, 4);
  std::memcpy(&m[8], id.data(), id.size());
  put16(20, stun_attr_xor_mapped_address);
  put16(22, static_cast<std::uint16_t>(value_len));
  m[24] = 0;
  m[25] = v4 ? 0x01 : 0x02;
  put16(26, static_cast<std::uint16_t>(e.port ^ 0x2112));
  // The address XORed with the cookie, then (IPv6) the transaction id.
  for (std::size_t i = 0; i < addr_len; ++i)
    m[28 + i] = e.address.bytes()[i] ^ m[4 + i];
  return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bool stun = looks_like_stun(data, size);
  if (size >= 4) {
    std::uint32_t le = std::uint32_t{data[0]} | std::uint32_t{data[1]} << 8
                       | std::uint32_t{data[2]} << 16 | std::uint32_t{data[3]} << 24;
    if (le >= 1 && le <= 4)
      FUZZ_CHECK(!stun);
  }
  if (stun) {
    FUZZ_CHECK(size >= stun_header_size);
    std::size_t declared = std::size_t{data[2]} << 8 | data[3];
    FUZZ_CHECK(declared % 4 == 0 && declared == size - stun_header_size);
  }

  auto id = stun_transaction_id_of(data, size);
  FUZZ_CHECK(id.has_value() == stun);
  stun_transaction_id expected{};
  if (id) {
    FUZZ_CHECK(std::memcmp(id->data(), data + 8, stun_transaction_id_size) == 0);
    expected = *id;
  }

  auto parsed = parse_binding_response(data, size, expected);
  if (parsed) {
    FUZZ_CHECK(stun);
    stun_transaction_id other = expected;
    other[0] ^= 0x01;
    FUZZ_CHECK(!parse_binding_response(data, size, other).ok());

    auto rebuilt = xor_mapped_response(*parsed, expected);
    auto again = parse_binding_response(rebuilt.data(), rebuilt.size(), expected);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *parsed);
  } else {
    FUZZ_CHECK(!parsed.error_message().empty());
  }

  if (size >= stun_transaction_id_size) {
    stun_transaction_id mine{};
    std::memcpy(mine.data(), data, mine.size());
    auto request = make_binding_request(mine);
    FUZZ_CHECK(looks_like_stun(request.data(), request.size()));
    auto back = stun_transaction_id_of(request.data(), request.size());
    FUZZ_CHECK(back && *back == mine);
  }
  return 0;
}
