// messages: the byte layout of WireGuard's four messages (whitepaper 5.4.2
// initiation, 5.4.3 response, 5.4.7 cookie reply, 5.4.6 transport data).
// Offsets rather than packed structs: messages stay plain byte buffers, read
// and written through the little-endian helpers below, so nothing depends
// on struct padding, host byte order or type punning.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/base/byte_order.hpp"

namespace overlayd::net::wg {

// The first four bytes are the type as a little-endian u32: one type byte
// and three reserved zero bytes. Reading all four (as wireguard-go does)
// makes a message with non-zero reserved bytes an unknown type.
enum class message_type : std::uint32_t {
  handshake_initiation = 1,
  handshake_response = 2,
  cookie_reply = 3,
  transport_data = 4,
};

inline constexpr std::size_t aead_tag_size = 16;
inline constexpr std::size_t mac_size = 16;
inline constexpr std::size_t tai64n_size = 12;

// Both MACs sit at the end of the two handshake messages; mac1 covers every
// byte before it, mac2 every byte before mac2 (mac1 included).
inline constexpr std::size_t macs_size = 2 * mac_size;

namespace initiation {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t sender = 4;
inline constexpr std::size_t ephemeral = 8;
inline constexpr std::size_t encrypted_static = 40;     // 32 + tag
inline constexpr std::size_t encrypted_timestamp = 88;  // 12 + tag
inline constexpr std::size_t mac1 = 116;
inline constexpr std::size_t mac2 = 132;
inline constexpr std::size_t size = 148;
} // namespace initiation

namespace response {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t sender = 4;
inline constexpr std::size_t receiver = 8;
inline constexpr std::size_t ephemeral = 12;
inline constexpr std::size_t encrypted_nothing = 44; // empty plaintext: tag only
inline constexpr std::size_t mac1 = 60;
inline constexpr std::size_t mac2 = 76;
inline constexpr std::size_t size = 92;
} // namespace response

namespace cookie_reply {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t receiver = 4;
inline constexpr std::size_t nonce = 8;             // 24 bytes (XChaCha20)
inline constexpr std::size_t encrypted_cookie = 32; // 16 + tag
inline constexpr std::size_t size = 64;
} // namespace cookie_reply

namespace transport {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t receiver = 4;
inline constexpr std::size_t counter = 8;
inline constexpr std::size_t header_size = 16; // the packet starts here
inline constexpr std::size_t min_size = header_size + aead_tag_size; // a keepalive
} // namespace transport

static_assert(initiation::mac1 == initiation::size - macs_size);
static_assert(response::mac1 == response::size - macs_size);
static_assert(initiation::encrypted_timestamp + tai64n_size + aead_tag_size == initiation::mac1);
static_assert(response::encrypted_nothing + aead_tag_size == response::mac1);

using overlayd::load_le32;
using overlayd::load_le64;
using overlayd::store_le32;
using overlayd::store_le64;

// The type word of a received datagram, or 0 when it is shorter than four
// bytes. Callers still check the exact length for the type they expect.
inline std::uint32_t read_message_type(const std::uint8_t* msg, std::size_t len) noexcept {
  return len < 4 ? 0 : load_le32(msg);
}

inline void write_message_type(std::uint8_t* msg, message_type type) noexcept {
  store_le32(msg, static_cast<std::uint32_t>(type));
}

} // namespace overlayd::net::wg
