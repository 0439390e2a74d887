#include "net/relay/relay_message.hpp"

#include <cstdio>
#include <iterator>
#include <string>
#include <type_traits>

#include "net/relay/tagged_address.hpp"

namespace overlayd::net::relay {

namespace {

using bytes = std::vector<std::uint8_t>;

void put_u32(bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void put_id(bytes& out, const allocation_id& id) {
  out.insert(out.end(), id.begin(), id.end());
}

allocation_id get_id(const std::uint8_t* p) {
  allocation_id id{};
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = p[i];
  return id;
}

std::string hex_byte(std::uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", b);
  return text;
}

// The payload alone; the frame header and tag are added by encode.
result<bytes> encode_payload(const message& m) {
  bytes p;
  return std::visit(
      [&p](const auto& msg) -> result<bytes> {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, allocate_request>) {
          if (msg.username) {
            if (msg.username->size() > max_username_size)
              return make_error("username too long: " + std::to_string(msg.username->size()) +
                                " bytes (max 255)");
            p.push_back(static_cast<std::uint8_t>(msg.username->size()));
            p.insert(p.end(), msg.username->begin(), msg.username->end());
          }
        } else if constexpr (std::is_same_v<T, allocate_response>) {
          append_tagged_address(p, msg.relay_addr);
          put_id(p, msg.id);
          put_u32(p, msg.lifetime);
        } else if constexpr (std::is_same_v<T, allocate_error>) {
          p.assign(msg.reason.begin(), msg.reason.end());
        } else if constexpr (std::is_same_v<T, permission_request>) {
          put_id(p, msg.id);
          append_tagged_address(p, msg.peer_addr);
        } else if constexpr (std::is_same_v<T, permission_response>) {
          // empty
        } else if constexpr (std::is_same_v<T, refresh_request>) {
          put_id(p, msg.id);
          put_u32(p, msg.lifetime);
        } else if constexpr (std::is_same_v<T, refresh_response>) {
          put_u32(p, msg.lifetime);
        } else if constexpr (std::is_same_v<T, deallocate_request>) {
          put_id(p, msg.id);
        } else {
          static_assert(std::is_same_v<T, data_message>);
          append_tagged_address(p, msg.addr);
          p.insert(p.end(), msg.raw.begin(), msg.raw.end());
        }
        return p;
      },
      m);
}

result<bytes> frame(message_type type, const bytes& payload, const auth_key* key) {
  const bool tagged = is_control(type);
  const std::size_t total = header_size + payload.size() + (tagged ? tag_size : 0);
  // max_datagram_size keeps L below 65536 as well, so the u16 cannot wrap.
  if (total > max_datagram_size)
    return make_error("oversize: frame of " + std::to_string(total) + " bytes exceeds " +
                      std::to_string(max_datagram_size));
  bytes out;
  out.reserve(total);
  out.push_back(static_cast<std::uint8_t>(type));
  out.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(payload.size() & 0xff));
  out.insert(out.end(), payload.begin(), payload.end());
  if (tagged) {
    tag32 tag = compute_tag(*key, out.data(), out.size());
    out.insert(out.end(), tag.begin(), tag.end());
  }
  return out;
}

error decode_error(message_type type, const std::string& what) {
  return make_error(std::string("relay decode(") + type_name(type) + "): " + what);
}

error truncated_payload(message_type type, std::size_t need, std::size_t got) {
  return decode_error(type, "truncated payload: need " + std::to_string(need) + " bytes, got " +
                                std::to_string(got));
}

// p[0, len) is the payload, already authenticated when the type is tagged.
result<message> decode_payload(message_type type, const std::uint8_t* p, std::size_t len) {
  switch (type) {
  case message_type::allocate_request: {
    allocate_request m;
    if (len >= 1 && std::size_t{p[0]} <= len - 1)
      m.username = std::string(reinterpret_cast<const char*>(p + 1), p[0]);
    return message{std::move(m)};
  }
  case message_type::allocate_response: {
    // The original client's check: at least 27 bytes (an IPv4 relay
    // address), then enough for the address it actually finds.
    if (len < tagged_v4_size + 16 + 4)
      return truncated_payload(type, tagged_v4_size + 16 + 4, len);
    auto addr = decode_tagged_address(p, len);
    if (!addr && p[0] != address_family_v6)
      return decode_error(type, addr.error_message());
    if (!addr || len < addr->size + 16 + 4)
      return truncated_payload(type, tagged_v6_size + 16 + 4, len);
    allocate_response m;
    m.relay_addr = addr->addr;
    m.id = get_id(p + addr->size);
    m.lifetime = get_u32(p + addr->size + 16);
    return message{m};
  }
  case message_type::allocate_error:
    return message{allocate_error{std::string(reinterpret_cast<const char*>(p), len)}};
  case message_type::permission_request: {
    // The original server's minimum is 23 bytes (an IPv4 peer address).
    if (len < 16 + tagged_v4_size)
      return truncated_payload(type, 16 + tagged_v4_size, len);
    auto addr = decode_tagged_address(p + 16, len - 16);
    if (!addr && p[16] != address_family_v6)
      return decode_error(type, addr.error_message());
    if (!addr)
      return truncated_payload(type, 16 + tagged_v6_size, len);
    return message{permission_request{get_id(p), addr->addr}};
  }
  case message_type::permission_response:
    return message{permission_response{}};
  case message_type::refresh_request:
    if (len < 20)
      return truncated_payload(type, 20, len);
    return message{refresh_request{get_id(p), get_u32(p + 16)}};
  case message_type::refresh_response:
    if (len < 4)
      return truncated_payload(type, 4, len);
    return message{refresh_response{get_u32(p)}};
  case message_type::deallocate_request:
    if (len < 16)
      return truncated_payload(type, 16, len);
    return message{deallocate_request{get_id(p)}};
  case message_type::data: {
    auto addr = decode_tagged_address(p, len);
    if (!addr)
      return decode_error(type, addr.error_message());
    data_message m;
    m.addr = addr->addr;
    m.raw.assign(p + addr->size, p + len);
    return message{std::move(m)};
  }
  }
  return make_error("relay decode: unknown message type " + hex_byte(static_cast<std::uint8_t>(type)));
}

bool known_type(std::uint8_t b) noexcept {
  return (b >= 0x01 && b <= 0x08) || b == 0x80;
}

} // namespace

message_type type_of(const message& m) noexcept {
  static constexpr message_type by_index[] = {
      message_type::allocate_request,   message_type::allocate_response,
      message_type::allocate_error,     message_type::permission_request,
      message_type::permission_response, message_type::refresh_request,
      message_type::refresh_response,   message_type::deallocate_request,
      message_type::data,
  };
  static_assert(std::size(by_index) == std::variant_size_v<message>);
  return by_index[m.index()];
}

const char* type_name(message_type t) noexcept {
  switch (t) {
  case message_type::allocate_request: return "allocate_request";
  case message_type::allocate_response: return "allocate_response";
  case message_type::allocate_error: return "allocate_error";
  case message_type::permission_request: return "permission_request";
  case message_type::permission_response: return "permission_response";
  case message_type::refresh_request: return "refresh_request";
  case message_type::refresh_response: return "refresh_response";
  case message_type::deallocate_request: return "deallocate_request";
  case message_type::data: return "data_message";
  }
  return "unknown";
}

bool is_control(message_type t) noexcept {
  const auto b = static_cast<std::uint8_t>(t);
  return b >= 0x01 && b <= 0x08;
}

result<std::vector<std::uint8_t>> encode(const message& m, const auth_key& key) {
  const message_type type = type_of(m);
  auto payload = encode_payload(m);
  if (payload) {
    auto out = frame(type, *payload, &key);
    if (out)
      return out;
    payload = out.err();
  }
  return make_error(std::string("relay encode(") + type_name(type) + "): " +
                    payload.error_message());
}

result<std::vector<std::uint8_t>> encode_data(const data_message& m) {
  bytes out;
  if (!write_data_frame(out, m.addr, m.raw.data(), m.raw.size()))
    return make_error("relay encode(data_message): oversize: frame of "
                      + std::to_string(header_size + tagged_address_size(m.addr) + m.raw.size())
                      + " bytes exceeds " + std::to_string(max_datagram_size));
  return out;
}

bool write_data_frame(std::vector<std::uint8_t>& out, const endpoint& addr,
                      const std::uint8_t* raw, std::size_t len) {
  const std::size_t payload = tagged_address_size(addr) + len;
  if (header_size + payload > max_datagram_size)
    return false;
  out.clear();
  out.reserve(header_size + payload);
  out.push_back(static_cast<std::uint8_t>(message_type::data));
  out.push_back(static_cast<std::uint8_t>(payload >> 8));
  out.push_back(static_cast<std::uint8_t>(payload & 0xff));
  append_tagged_address(out, addr);
  out.insert(out.end(), raw, raw + len);
  return true;
}

namespace {

// The checks every frame passes before its payload is read; the payload's
// length. The tag of a control frame is only counted here, not verified.
result<std::size_t> checked_payload_length(const std::uint8_t* in, std::size_t len) {
  if (len > max_datagram_size)
    return make_error("relay decode: oversize: datagram of " + std::to_string(len) +
                      " bytes exceeds " + std::to_string(max_datagram_size));
  if (len == 0)
    return make_error("relay decode: truncated frame: empty datagram");
  // The type comes first so unknown types are refused however short they are.
  if (!known_type(in[0]))
    return make_error("relay decode: unknown message type " + hex_byte(in[0]));
  const auto type = static_cast<message_type>(in[0]);
  if (len < header_size)
    return decode_error(type, "truncated frame: need 3 bytes, got " + std::to_string(len));
  const std::size_t payload_len = (std::size_t{in[1]} << 8) | in[2];
  const bool tagged = is_control(type);
  const std::size_t need = header_size + payload_len + (tagged ? tag_size : 0);
  if (len < need)
    return decode_error(type, "truncated frame: need " + std::to_string(need) + " bytes, got " +
                                  std::to_string(len));
  return payload_len;
}

} // namespace

result<message> decode(const std::uint8_t* in, std::size_t len, const auth_key& key) {
  auto payload_len = checked_payload_length(in, len);
  if (!payload_len)
    return payload_len.err();
  const auto type = static_cast<message_type>(in[0]);
  if (is_control(type) && !verify_tag(key, in, header_size + *payload_len,
                                      in + header_size + *payload_len))
    return decode_error(type, "bad tag");
  return decode_payload(type, in + header_size, *payload_len);
}

result<data_frame_view> view_data_frame(const std::uint8_t* in, std::size_t len) {
  auto payload_len = checked_payload_length(in, len);
  if (!payload_len)
    return payload_len.err();
  const auto type = static_cast<message_type>(in[0]);
  if (type != message_type::data)
    return make_error(std::string("relay decode: not a data frame: ") + type_name(type));
  auto addr = decode_tagged_address(in + header_size, *payload_len);
  if (!addr)
    return decode_error(type, addr.error_message());
  return data_frame_view{addr->addr, header_size + addr->size, *payload_len - addr->size};
}

result<message> decode(const std::vector<std::uint8_t>& bytes, const auth_key& key) {
  return decode(bytes.data(), bytes.size(), key);
}

} // namespace overlayd::net::relay
