// fuzz_wg_device: WireGuard message parsing and the receive path of
// device_core (net/wireguard/device_core.hpp), with fixed keys
// (wg_fixture.hpp): the harness is alice, with a session to the device
// (bob) established once per process, so fuzzed plaintext gets sealed with
// a real session key and reaches decryption, the replay window and the
// inner-packet checks. The first input byte picks a mode:
//   0  raw datagram into open_batch (and handle_control when it says so);
//   1  a handshake message (initiation, response, cookie reply) with mac1
//      made right, into a fresh bob (bit 2: under load; bit 3: bob has an
//      initiation of his own pending, whose index the message answers);
//   2  transport data sealed by alice: records of u16 counter offset,
//      u16 length, plaintext; counters are base + offset, the base moving
//      past the replay window each input, so inputs do not disturb each
//      other;
//   3  a packet bob's TUN reader hands to seal_batch, opened by alice.
// Beyond "no crash":
//   - nobody but alice gets a packet delivered: raw datagrams never are;
//   - a delivered packet is exactly the sealed plaintext cut to its IP
//     length, from one of alice's allowed IPs; a replay never delivers;
//   - open_batch says control only for handshake types;
//   - under load (no valid mac2 possible) bob answers only with cookie
//     replies;
//   - what bob seals, alice opens: the packet, zero padded to a multiple
//     of 16 (or the MTU), counter in the header.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "net/wireguard/cookie.hpp"
#include "net/wireguard/transport_crypto.hpp"
#include "wg_fixture.hpp"

using namespace overlayd;
using namespace overlayd::net;
using namespace overlayd::net::wg;
using overlayd::fuzz::alice_endpoint;

namespace {

const steady_time fixture_now{std::chrono::seconds(1000)};
const wall_time fixture_wall{std::chrono::seconds(fuzz::fixture_unix_seconds)};

struct session {
  device_core bob;
  transport_keys alice_keys;
  key32 bob_public{};
  std::uint64_t counter_base = 1;

  session() {
    FUZZ_CHECK(bob.apply(fuzz::bob_config(), fixture_now).code == uapi_errno::ok);
    bob_public = public_key_from_private(fuzz::bob_private());
    auto alice = static_identity::from_private_key(fuzz::alice_private());
    peer_handshake_state state(alice, bob_public);
    std::uint8_t initiation_msg[initiation::size];
    FUZZ_CHECK(create_initiation(alice, state, 0x1234, make_tai64n(fixture_wall), fixture_now,
                                 initiation_msg)
               == handshake_error::none);
    std::vector<outgoing_datagram> out;
    bob.handle_control(initiation_msg, sizeof initiation_msg, alice_endpoint(), fixture_now,
                       fixture_wall, out);
    FUZZ_CHECK(out.size() == 1);
    FUZZ_CHECK(consume_response(alice, state, out[0].bytes.data(), out[0].bytes.size(),
                                alice_keys)
               == handshake_error::none);
    // A keepalive confirms the session; bob's next tick makes it current.
    std::vector<std::uint8_t> keepalive(transport::min_size);
    FUZZ_CHECK(open(keepalive, nullptr, 0, 0) == open_slot::verdict::drop);
    out.clear();
    bob.tick(fixture_now, fixture_wall, out);
  }

  // Seals `plain` as alice at `counter` and hands it to bob; `buffer` keeps
  // the datagram (for a replay).
  open_slot::verdict open(std::vector<std::uint8_t>& buffer, const std::uint8_t* plain,
                          std::size_t length, std::uint64_t counter,
                          open_slot* result = nullptr) {
    buffer.assign(transport::header_size + length + aead_tag_size, 0);
    write_message_type(buffer.data(), message_type::transport_data);
    store_le32(buffer.data() + transport::receiver, alice_keys.remote_index);
    store_le64(buffer.data() + transport::counter, counter);
    if (length)
      std::memcpy(buffer.data() + transport::header_size, plain, length);
    seal_in_place(alice_keys.send, counter, buffer.data() + transport::header_size, length);
    open_slot slot{buffer.data(), buffer.size(), alice_endpoint()};
    bob.open_batch(&slot, 1, fixture_now);
    if (result)
      *result = slot;
    return slot.result;
  }
};

session& the_session() {
  static session s;
  return s;
}

bool from_alice(const std::uint8_t* packet, std::size_t length) {
  static const std::uint8_t v4[4] = {10, 0, 0, 1};
  static const std::uint8_t v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (length >= 20 && (packet[0] >> 4) == 4)
    return std::memcmp(packet + 12, v4, 4) == 0;
  if (length >= 40 && (packet[0] >> 4) == 6)
    return std::memcmp(packet + 8, v6, 16) == 0;
  return false;
}

std::size_t ip_length(const std::uint8_t* packet) {
  if ((packet[0] >> 4) == 4)
    return std::size_t{packet[2]} << 8 | packet[3];
  return 40 + (std::size_t{packet[4]} << 8 | packet[5]);
}

bool is_handshake_type(std::uint32_t type) {
  return type >= 1 && type <= 3;
}

void raw_datagram(const std::uint8_t* data, std::size_t size) {
  session& s = the_session();
  std::vector<std::uint8_t> bytes(data, data + size);
  open_slot slot{bytes.data(), bytes.size(), alice_endpoint()};
  s.bob.open_batch(&slot, 1, fixture_now);
  FUZZ_CHECK(slot.result != open_slot::verdict::deliver); // forging needs the session key
  FUZZ_CHECK((slot.result == open_slot::verdict::control)
             == is_handshake_type(read_message_type(data, size)));
  if (slot.result == open_slot::verdict::control) {
    std::vector<outgoing_datagram> out;
    std::vector<std::uint8_t> copy(data, data + size);
    s.bob.handle_control(copy.data(), copy.size(), alice_endpoint(), fixture_now, fixture_wall,
                         out);
  }
}

void handshake_message(std::uint8_t flags, const std::uint8_t* data, std::size_t size) {
  const bool under_load = flags & 0x04;
  const bool bob_initiates = flags & 0x08;
  device_core bob;
  FUZZ_CHECK(bob.apply(fuzz::bob_config(), fixture_now).code == uapi_errno::ok);
  std::vector<outgoing_datagram> out;
  if (bob_initiates) {
    FUZZ_CHECK(bob.handshake_now(public_key_from_private(fuzz::alice_private())));
    bob.tick(fixture_now, fixture_wall, out);
  }
  std::vector<std::uint8_t> msg(data, data + size);
  const std::uint32_t type = read_message_type(msg.data(), msg.size());
  // Answer bob's pending initiation: its sender index is the receiver.
  if (bob_initiates && !out.empty() && out[0].bytes.size() == initiation::size) {
    std::uint32_t pending = load_le32(out[0].bytes.data() + initiation::sender);
    if (type == 2 && msg.size() >= response::receiver + 4)
      store_le32(msg.data() + response::receiver, pending);
    if (type == 3 && msg.size() >= cookie_reply::receiver + 4)
      store_le32(msg.data() + cookie_reply::receiver, pending);
  }
  if ((type == 1 || type == 2) && msg.size() >= macs_size) {
    mac16 mac1 = compute_mac1(mac1_key_for(public_key_from_private(fuzz::bob_private())),
                              msg.data(), msg.size());
    std::memcpy(msg.data() + msg.size() - macs_size, mac1.data(), mac1.size());
  }
  bob.set_under_load(under_load);
  out.clear();
  bob.handle_control(msg.data(), msg.size(), alice_endpoint(), fixture_now, fixture_wall, out);
  for (const auto& d : out) {
    FUZZ_CHECK(d.to == alice_endpoint());
    if (under_load)
      FUZZ_CHECK(d.bytes.size() == cookie_reply::size
                 && read_message_type(d.bytes.data(), d.bytes.size()) == 3);
  }
  // Whatever bob now holds, his timers must cope with it.
  out.clear();
  bob.tick(fixture_now + std::chrono::seconds(6), fixture_wall, out);
}

void sealed_records(const std::uint8_t* data, std::size_t size) {
  session& s = the_session();
  const std::uint64_t base = s.counter_base;
  s.counter_base += 1 << 16; // past the replay window: the next input starts clean
  std::vector<std::uint8_t> buffer, replay;
  while (size >= 4) {
    std::uint64_t counter = base + (std::uint64_t{data[0]} << 8 | data[1]);
    std::size_t length = std::size_t{data[2]} << 8 | data[3];
    data += 4;
    size -= 4;
    if (length > size)
      length = size;
    open_slot slot;
    auto verdict = s.open(buffer, data, length, counter, &slot);
    FUZZ_CHECK(verdict != open_slot::verdict::control);
    if (verdict == open_slot::verdict::deliver) {
      FUZZ_CHECK(slot.packet == buffer.data() + transport::header_size);
      FUZZ_CHECK(slot.packet_length <= length);
      FUZZ_CHECK(slot.packet_length == ip_length(data));
      FUZZ_CHECK(std::memcmp(slot.packet, data, slot.packet_length) == 0);
      FUZZ_CHECK(from_alice(slot.packet, slot.packet_length));
    }
    // The same counter again (sealed afresh, so it authenticates) never
    // delivers: the first one was taken, or refused as too old or replayed.
    FUZZ_CHECK(s.open(replay, data, length, counter) == open_slot::verdict::drop);
    data += length;
    size -= length;
  }
}

void bob_sends(const std::uint8_t* data, std::size_t size) {
  session& s = the_session();
  std::vector<std::uint8_t> buffer(transport::header_size + size + 2 * aead_tag_size + 16);
  std::memcpy(buffer.data() + transport::header_size, data, size);
  seal_slot slot{buffer.data(), size, buffer.size(), 0, {}};
  s.bob.seal_batch(&slot, 1, fixture_now);
  if (slot.message_length == 0)
    return;
  FUZZ_CHECK(slot.to == alice_endpoint());
  FUZZ_CHECK(slot.message_length <= buffer.size());
  FUZZ_CHECK(read_message_type(buffer.data(), slot.message_length) == 4);
  FUZZ_CHECK(load_le32(buffer.data() + transport::receiver) == s.alice_keys.local_index);
  std::uint64_t counter = load_le64(buffer.data() + transport::counter);
  std::size_t plain_length = 0;
  FUZZ_CHECK(open_in_place(s.alice_keys.receive, counter, buffer.data() + transport::header_size,
                           slot.message_length - transport::header_size, plain_length));
  FUZZ_CHECK(plain_length >= size);
  // Within the MTU: the next multiple of 16, capped at the MTU (1420).
  if (size <= 1420)
    FUZZ_CHECK(plain_length == std::min<std::size_t>((size + 15) / 16 * 16, 1420));
  FUZZ_CHECK(std::memcmp(buffer.data() + transport::header_size, data, size) == 0);
  for (std::size_t i = size; i < plain_length; ++i)
    FUZZ_CHECK(buffer[transport::header_size + i] == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  the_session(); // set up before any mode, so every input meets the same bob
  const std::uint8_t mode = data[0];
  switch (mode & 0x03) {
  case 0:
    raw_datagram(data + 1, size - 1);
    break;
  case 1:
    handshake_message(mode, data + 1, size - 1);
    break;
  case 2:
    sealed_records(data + 1, size - 1);
    break;
  case 3:
    bob_sends(data + 1, size - 1);
    break;
  }
  return 0;
}
