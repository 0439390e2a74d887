// relay_message: the datagrams of the "ZLayer relay protocol", a custom UDP
// protocol, not TURN (nat_transport.md 5.1 framing, 5.2 messages). One
// message per datagram:
//   type u8 ‖ L u16 ‖ payload[L]            (data, 0x80: no tag)
//   type u8 ‖ L u16 ‖ payload[L] ‖ tag[32]  (control, 0x01-0x08)
// with every integer big-endian and the tag the keyed BLAKE2b-256 of the
// first 3+L bytes (relay_key.hpp). Decoding is strict about what a field
// needs and lenient about trailing bytes, as the original is, so frames
// from the original still decode.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/relay/relay_key.hpp"
#include "net/base/result.hpp"

namespace overlayd::net::relay {

enum class message_type : std::uint8_t {
  allocate_request = 0x01,
  allocate_response = 0x02,
  allocate_error = 0x03,
  permission_request = 0x04,
  permission_response = 0x05,
  refresh_request = 0x06,
  refresh_response = 0x07,
  deallocate_request = 0x08,
  data = 0x80,
};

using allocation_id = std::array<std::uint8_t, 16>;

inline constexpr std::size_t header_size = 3;
// The original server reads into a 64 KiB buffer, so a longer frame would
// arrive cut short; encode refuses to build one and decode refuses to read one.
inline constexpr std::size_t max_datagram_size = 65536;
// The username's length travels in one byte.
inline constexpr std::size_t max_username_size = 255;
// What the original server grants and the client assumes, in seconds.
inline constexpr std::uint32_t default_lifetime_seconds = 600;

// The reasons the original server sends in allocate_error.
inline constexpr const char* reason_max_sessions = "max sessions reached";
inline constexpr const char* reason_already_exists = "allocation already exists";
inline constexpr const char* reason_bind_failed = "relay bind failed";

// -- control messages (tagged) --

// C→S. The username is informational. nullopt encodes as an empty payload
// and is what a payload too short for its length byte decodes to: the
// original server still allocates then and logs the name as "unknown".
struct allocate_request {
  std::optional<std::string> username;
  friend bool operator==(const allocate_request& a, const allocate_request& b) {
    return a.username == b.username;
  }
};

// S→C: tagged relay_addr ‖ allocation_id[16] ‖ lifetime u32.
struct allocate_response {
  endpoint relay_addr;
  allocation_id id{};
  std::uint32_t lifetime = default_lifetime_seconds;
  friend bool operator==(const allocate_response& a, const allocate_response& b) {
    return a.relay_addr == b.relay_addr && a.id == b.id && a.lifetime == b.lifetime;
  }
};

// S→C: the whole payload is the reason text (see reason_* above).
struct allocate_error {
  std::string reason;
  friend bool operator==(const allocate_error& a, const allocate_error& b) {
    return a.reason == b.reason;
  }
};

// C→S: allocation_id[16] ‖ tagged peer_addr. Only the peer's IP matters to
// the server; the port is carried anyway.
struct permission_request {
  allocation_id id{};
  endpoint peer_addr;
  friend bool operator==(const permission_request& a, const permission_request& b) {
    return a.id == b.id && a.peer_addr == b.peer_addr;
  }
};

// S→C, empty payload.
struct permission_response {
  friend bool operator==(const permission_response&, const permission_response&) {
    return true;
  }
};

// C→S: allocation_id[16] ‖ lifetime u32 (the lifetime the client asks for).
struct refresh_request {
  allocation_id id{};
  std::uint32_t lifetime = default_lifetime_seconds;
  friend bool operator==(const refresh_request& a, const refresh_request& b) {
    return a.id == b.id && a.lifetime == b.lifetime;
  }
};

// S→C: lifetime u32, echoed.
struct refresh_response {
  std::uint32_t lifetime = default_lifetime_seconds;
  friend bool operator==(const refresh_response& a, const refresh_response& b) {
    return a.lifetime == b.lifetime;
  }
};

// C→S: allocation_id[16]. There is no response.
struct deallocate_request {
  allocation_id id{};
  friend bool operator==(const deallocate_request& a, const deallocate_request& b) {
    return a.id == b.id;
  }
};

// -- data (untagged) --

// Both directions: tagged addr ‖ raw. Client to server, addr is where the
// relay should send `raw`; server to client, it is the source the relay
// socket saw. Unauthenticated: the server trusts the sender's source address.
struct data_message {
  endpoint addr;
  std::vector<std::uint8_t> raw;
  friend bool operator==(const data_message& a, const data_message& b) {
    return a.addr == b.addr && a.raw == b.raw;
  }
};

using message =
    std::variant<allocate_request, allocate_response, allocate_error, permission_request,
                 permission_response, refresh_request, refresh_response, deallocate_request,
                 data_message>;

message_type type_of(const message& m) noexcept;
// "allocate_request", ..., "data_message"; "unknown" for other values.
const char* type_name(message_type t) noexcept;
// True for the tagged types 0x01-0x08.
bool is_control(message_type t) noexcept;

// The whole datagram. `key` is unused for data_message. Errors
// ("relay encode(<type>): ..."): "username too long: N bytes (max 255)",
// "oversize: frame of N bytes exceeds 65536".
result<std::vector<std::uint8_t>> encode(const message& m, const auth_key& key);
// A data frame needs no key.
result<std::vector<std::uint8_t>> encode_data(const data_message& m);

// One received datagram. Control frames are authenticated before their
// payload is read. Errors, which name the type but never the key:
//   "relay decode: oversize: datagram of N bytes exceeds 65536"
//   "relay decode: truncated frame: empty datagram"
//   "relay decode: unknown message type 0xNN"
//   "relay decode(<type>): truncated frame: need N bytes, got M"
//   "relay decode(<type>): bad tag"
//   "relay decode(<type>): truncated payload: need N bytes, got M"
//   "relay decode(<type>): truncated address: need N bytes, got M"
//   "relay decode(<type>): unknown address family 0xNN"
// Bytes after the frame, and payload bytes after the last field, are ignored.
result<message> decode(const std::uint8_t* bytes, std::size_t len, const auth_key& key);
result<message> decode(const std::vector<std::uint8_t>& bytes, const auth_key& key);

// -- Data frames without copies, for the WireGuard data plane --

// Replaces `out` with the Data frame carrying raw[0, len) for `addr`, as
// encode_data would build it. False (and `out` unspecified) when the frame
// would exceed max_datagram_size.
bool write_data_frame(std::vector<std::uint8_t>& out, const endpoint& addr,
                      const std::uint8_t* raw, std::size_t len);

// Where the datagram inside a Data frame lies: bytes[offset, offset + length).
struct data_frame_view {
  endpoint addr;
  std::size_t offset = 0;
  std::size_t length = 0;
};
// The frame checks of decode; a frame of another type is an error
// ("relay decode: not a data frame: <type>").
result<data_frame_view> view_data_frame(const std::uint8_t* bytes, std::size_t len);

} // namespace overlayd::net::relay
