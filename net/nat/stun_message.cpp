#include "net/nat/stun_message.hpp"

#include <string>

namespace overlayd::net::nat {

namespace {

constexpr const char* op = "parse_binding_response: ";

std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::uint32_t be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16)
         | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::string hex16(std::uint16_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += digits[(v >> shift) & 15];
  return out;
}

std::string hex_bytes(const std::uint8_t* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// The reason phrase is the server's text: keep it printable and short,
// since it ends up in logs.
std::string sanitized_reason(const std::uint8_t* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && out.size() < 128; ++i)
    out += (p[i] >= 0x20 && p[i] < 0x7f) ? static_cast<char>(p[i]) : '?';
  return out;
}

// (XOR-)MAPPED-ADDRESS value: reserved(1), family(1), port(2), address.
// `mask` is the magic cookie followed by the transaction id for the XOR
// form, all zeros for the plain one: the same decoder serves both.
result<endpoint> decode_address(const char* name, const std::uint8_t* v, std::size_t len,
                                const std::array<std::uint8_t, 16>& mask) {
  if (len < 4)
    return make_error(std::string(op) + name + " of " + std::to_string(len)
                      + " bytes is too short");
  std::uint8_t family = v[1];
  std::uint16_t port = static_cast<std::uint16_t>(be16(v + 2) ^ ((mask[0] << 8) | mask[1]));
  std::size_t want = family == 0x01 ? 4 : family == 0x02 ? 16 : 0;
  if (want == 0)
    return make_error(std::string(op) + name + " has unknown address family "
                      + std::to_string(family));
  // Exactly 8 or 20 bytes: a longer value is malformed, not padding.
  if (len != 4 + want)
    return make_error(std::string(op) + name + " of " + std::to_string(len)
                      + " bytes does not fit address family " + std::to_string(family));
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < want; ++i)
    bytes[i] = static_cast<std::uint8_t>(v[4 + i] ^ mask[i]);
  if (family == 0x01)
    return endpoint{ip_address::v4(be32(bytes.data())), port};
  return endpoint{ip_address::v6(bytes), port};
}

error error_response(const std::uint8_t* body, std::size_t length) {
  // Report the last ERROR-CODE, as the last address attribute counts.
  std::string detail = "without ERROR-CODE";
  for (std::size_t at = 0; at + 4 <= length;) {
    std::uint16_t type = be16(body + at);
    std::size_t len = be16(body + at + 2);
    if (len > length - at - 4)
      break;
    const std::uint8_t* v = body + at + 4;
    if (type == stun_attr_error_code) {
      if (len < 4) {
        detail = "with a malformed ERROR-CODE";
      } else {
        // 21 reserved bits, class (3 bits: hundreds), number (8 bits: 0..99).
        unsigned code = (v[2] & 7u) * 100u + v[3];
        detail = std::to_string(code);
        if (len > 4)
          detail += " " + sanitized_reason(v + 4, len - 4);
      }
    }
    at += 4 + ((len + 3) & ~std::size_t{3});
  }
  return make_error(std::string(op) + "binding error response " + detail);
}

} // namespace

stun_request_bytes make_binding_request(const stun_transaction_id& id) noexcept {
  stun_request_bytes out{};
  out[0] = static_cast<std::uint8_t>(stun_binding_request >> 8);
  out[1] = static_cast<std::uint8_t>(stun_binding_request);
  // out[2..3]: attribute length 0.
  out[4] = static_cast<std::uint8_t>(stun_magic_cookie >> 24);
  out[5] = static_cast<std::uint8_t>(stun_magic_cookie >> 16);
  out[6] = static_cast<std::uint8_t>(stun_magic_cookie >> 8);
  out[7] = static_cast<std::uint8_t>(stun_magic_cookie);
  for (std::size_t i = 0; i < id.size(); ++i)
    out[8 + i] = id[i];
  return out;
}

bool looks_like_stun(const std::uint8_t* data, std::size_t size) noexcept {
  if (data == nullptr || size < stun_header_size)
    return false;
  // WireGuard's first four bytes are the type 1..4 little-endian: one type
  // byte, three zero bytes. Its sender index (bytes 4..7) is random and can
  // equal the cookie, and its sizes (32+, 64, 92, 148) never match a zero
  // declared length, but rejecting the prefix outright keeps the guarantee
  // independent of those arguments. No Binding message starts this way
  // (a zero-length 0x0100..0x0400 is not method Binding).
  if (data[0] >= 1 && data[0] <= 4 && data[1] == 0 && data[2] == 0 && data[3] == 0)
    return false;
  if ((data[0] & 0xC0) != 0)
    return false;
  std::size_t length = be16(data + 2);
  if (length % 4 != 0 || stun_header_size + length != size)
    return false;
  return be32(data + 4) == stun_magic_cookie;
}

std::optional<stun_transaction_id> stun_transaction_id_of(const std::uint8_t* data,
                                                          std::size_t size) noexcept {
  if (!looks_like_stun(data, size))
    return std::nullopt;
  stun_transaction_id id{};
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = data[8 + i];
  return id;
}

result<endpoint> parse_binding_response(const std::uint8_t* data, std::size_t size,
                                        const stun_transaction_id& expected) {
  if (data == nullptr || size < stun_header_size)
    return make_error(std::string(op) + std::to_string(size)
                      + " bytes is shorter than the 20-byte STUN header");
  if ((data[0] & 0xC0) != 0 || be32(data + 4) != stun_magic_cookie)
    return make_error(std::string(op) + "not a STUN message (no magic cookie)");

  // Frame first, then the transaction, then the type (the original checks
  // the type first): an error response to someone else's transaction is
  // reported as not ours, not as a failure of our query.
  std::size_t length = be16(data + 2);
  if (length % 4 != 0)
    return make_error(std::string(op) + "declared length " + std::to_string(length)
                      + " is not a multiple of 4");
  std::size_t present = size - stun_header_size;
  if (length > present)
    return make_error(std::string(op) + "truncated: declared length " + std::to_string(length)
                      + ", " + std::to_string(present) + " bytes present");
  if (length < present)
    return make_error(std::string(op) + "declared length " + std::to_string(length) + " but "
                      + std::to_string(present) + " bytes follow the header");

  const std::uint8_t* got_id = data + 8;
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (got_id[i] != expected[i])
      return make_error(std::string(op) + "transaction id "
                        + hex_bytes(got_id, stun_transaction_id_size) + " is not the expected "
                        + hex_bytes(expected.data(), expected.size()));

  const std::uint8_t* body = data + stun_header_size;
  std::uint16_t type = be16(data);
  if (type == stun_binding_error)
    return error_response(body, length);
  if (type != stun_binding_success)
    return make_error(std::string(op) + "message type " + hex16(type)
                      + " is not a binding success response");

  std::array<std::uint8_t, 16> xor_mask{};
  xor_mask[0] = static_cast<std::uint8_t>(stun_magic_cookie >> 24);
  xor_mask[1] = static_cast<std::uint8_t>(stun_magic_cookie >> 16);
  xor_mask[2] = static_cast<std::uint8_t>(stun_magic_cookie >> 8);
  xor_mask[3] = static_cast<std::uint8_t>(stun_magic_cookie);
  for (std::size_t i = 0; i < expected.size(); ++i)
    xor_mask[4 + i] = expected[i];
  const std::array<std::uint8_t, 16> no_mask{};

  std::optional<result<endpoint>> xor_mapped;
  std::optional<result<endpoint>> mapped;
  // `length` is a multiple of 4 and every attribute starts 4-aligned, so a
  // header always fits; only a value can run past the end.
  for (std::size_t at = 0; at < length;) {
    std::uint16_t attr = be16(body + at);
    std::size_t len = be16(body + at + 2);
    if (len > length - at - 4)
      return make_error(std::string(op) + "attribute " + hex16(attr) + " of "
                        + std::to_string(len) + " bytes at offset "
                        + std::to_string(stun_header_size + at) + " runs past the message end");
    const std::uint8_t* v = body + at + 4;
    if (attr == stun_attr_xor_mapped_address)
      xor_mapped = decode_address("XOR-MAPPED-ADDRESS", v, len, xor_mask);
    else if (attr == stun_attr_mapped_address)
      mapped = decode_address("MAPPED-ADDRESS", v, len, no_mask);
    // The value ends at most at `length`, a multiple of 4, so its padding
    // always fits too.
    at += 4 + ((len + 3) & ~std::size_t{3});
  }

  if (xor_mapped && xor_mapped->ok())
    return std::move(*xor_mapped);
  if (mapped && mapped->ok())
    return std::move(*mapped);
  // Say why the address that was there did not do.
  if (xor_mapped)
    return std::move(*xor_mapped);
  if (mapped)
    return std::move(*mapped);
  return make_error(std::string(op) + "no XOR-MAPPED-ADDRESS or MAPPED-ADDRESS");
}

} // namespace overlayd::net::nat
