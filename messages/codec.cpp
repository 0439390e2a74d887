#include "messages/codec.hpp"

#include "messages/document_decoder.hpp"
#include "messages/document_encoder.hpp"
#include "messages/json.hpp"
#include "messages/msgpack_codec.hpp"

namespace overlayd::msg {

namespace {

constexpr const char* codec_error_prefix = "frame codec error: ";

std::uint64_t readable_id(const value& document) {
  if (!document.is_object())
    return 0;
  const value* id = document.find("id");
  return id != nullptr && id->type() == value::kind::unsigned_integer ? id->as_uint() : 0;
}

std::string serialize(const value& document, body_codec codec) {
  return codec == body_codec::json ? to_json(document) : to_msgpack(document);
}

} // namespace

const char* op_name(const request& r) noexcept {
  return std::visit([](const auto& alternative) { return alternative.tag; }, r);
}

value frame_to_document(const frame& f) {
  return to_document_value(f);
}

frame_decode frame_from_document(const value& document) {
  frame_decode out;
  out.id = readable_id(document);
  decode_context ctx;
  frame decoded;
  from_document_value(ctx, document, decoded);
  if (ctx.failed())
    out.error = codec_error_prefix + ctx.error();
  else
    out.decoded = std::move(decoded);
  return out;
}

frame_decode decode_frame(std::string_view body, body_codec codec, document_limits limits) {
  auto document =
    codec == body_codec::json ? parse_json(body, limits) : parse_msgpack(body, limits);
  if (!document) {
    frame_decode out;
    out.error = codec_error_prefix + document.error_message();
    return out;
  }
  return frame_from_document(*document);
}

frame_decode decode_frame(std::string_view body) {
  return decode_frame(body, detect_codec(body));
}

std::string loggable_decode_error(std::string_view error) {
  // Strings are quoted Rust-debug style, "..." with \" and \\ escaped: the
  // client's, elided. Variant names in `...` stay (the error text already
  // cut them to echo_limit); no byte of theirs may start a new log line.
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < error.size(); ++i) {
    const char c = error[i];
    if (!in_string) {
      const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
      out += control ? '?' : c;
      in_string = c == '"';
    } else if (c == '\\') {
      ++i; // the escaped character is part of the string
    } else if (c == '"') {
      out += "...\"";
      in_string = false;
    }
  }
  if (in_string)
    out += "...";
  return out;
}

std::string encode_frame(const frame& f, body_codec codec) {
  return serialize(frame_to_document(f), codec);
}

std::string encode_response(std::uint64_t id, const response& r, body_codec codec) {
  return encode_frame(response_frame{id, r}, codec);
}

std::string encode_request(std::uint64_t id, const request& r, body_codec codec) {
  return encode_frame(request_frame{id, r}, codec);
}

std::optional<request> request_from_json(std::string_view json, std::string& error) {
  auto document = parse_json(json);
  if (!document) {
    error = document.error_message();
    return std::nullopt;
  }
  decode_context ctx;
  request decoded;
  from_document_value(ctx, *document, decoded);
  if (ctx.failed()) {
    error = ctx.error();
    return std::nullopt;
  }
  return decoded;
}

std::string response_to_json(const response& r) {
  return to_json(to_document_value(r));
}

} // namespace overlayd::msg
