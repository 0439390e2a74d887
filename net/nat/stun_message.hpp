// stun_message: the STUN subset the NAT traversal needs (nat_transport.md
// 4.3, RFC 5389): a Binding Request with no attributes, a test that tells
// STUN apart from WireGuard on the shared WireGuard socket, and the reading
// of a Binding success response into the server-reflexive endpoint.
// Pure bytes in, values out: the platform/actor layer owns the socket, the
// random transaction id and the timeout (one 3 s wait, no retransmission).
// MESSAGE-INTEGRITY and FINGERPRINT are neither sent nor checked, as the
// original.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"

namespace overlayd::net::nat {

inline constexpr std::uint32_t stun_magic_cookie = 0x2112A442;
inline constexpr std::size_t stun_header_size = 20;
inline constexpr std::size_t stun_transaction_id_size = 12;

// Message types (method Binding = 0x001 with the class bits 0x0110).
inline constexpr std::uint16_t stun_binding_request = 0x0001;
inline constexpr std::uint16_t stun_binding_success = 0x0101;
inline constexpr std::uint16_t stun_binding_error = 0x0111;

// Attribute types the client reads.
inline constexpr std::uint16_t stun_attr_mapped_address = 0x0001;
inline constexpr std::uint16_t stun_attr_error_code = 0x0009;
inline constexpr std::uint16_t stun_attr_xor_mapped_address = 0x0020;

using stun_transaction_id = std::array<std::uint8_t, stun_transaction_id_size>;
using stun_request_bytes = std::array<std::uint8_t, stun_header_size>;

// The 20-byte Binding Request: type 0x0001, length 0, magic cookie, `id`.
// The caller draws `id` from a CSPRNG: it is what ties a response to the
// request, and a guessable one lets anyone on the path forge our address.
stun_request_bytes make_binding_request(const stun_transaction_id& id) noexcept;

// True when the datagram is framed as an RFC 5389 message: at least 20
// bytes, the two top bits zero, the magic cookie, and a declared length
// that is a multiple of 4 and exactly covers the rest of the datagram.
// Never true for a WireGuard message (types 1..4 as a little-endian u32),
// whatever its sender index: the socket demultiplexes on this.
bool looks_like_stun(const std::uint8_t* data, std::size_t size) noexcept;

// The transaction id of anything that looks_like_stun, so the caller can
// route a response to the query that sent it; nullopt otherwise.
std::optional<stun_transaction_id> stun_transaction_id_of(const std::uint8_t* data,
                                                          std::size_t size) noexcept;

// The reflexive endpoint from a Binding success response to the request
// with id `expected`. XOR-MAPPED-ADDRESS wins over MAPPED-ADDRESS; of
// several attributes of one type the last counts, even when it does not
// parse (the earlier one is then forgotten). Errors name what was wrong:
// too short, not STUN, bad or truncated length, another transaction, an
// error response (with its ERROR-CODE), another message type, an attribute
// running past the end, an unusable or missing address.
result<endpoint> parse_binding_response(const std::uint8_t* data, std::size_t size,
                                        const stun_transaction_id& expected);

} // namespace overlayd::net::nat
