// The leaf conversions of document_encoder.hpp and document_decoder.hpp.
#include "messages/document_decoder.hpp"
#include "messages/document_encoder.hpp"

namespace overlayd::msg {

// -- overlay mode ---------------------------------------------------------------

namespace {

struct mode_name {
  overlay_mode mode;
  const char* wire;
};

constexpr mode_name mode_names[] = {
  {overlay_mode::automatic, "auto"},
  {overlay_mode::shared, "shared"},
  {overlay_mode::dedicated, "dedicated"},
  {overlay_mode::isolated, "isolated"},
};

} // namespace

const char* to_wire(overlay_mode mode) noexcept {
  for (const auto& m : mode_names)
    if (m.mode == mode)
      return m.wire;
  return "auto";
}

std::optional<overlay_mode> overlay_mode_from_wire(const std::string& text) noexcept {
  for (const auto& m : mode_names)
    if (text == m.wire)
      return m.mode;
  return std::nullopt;
}

// -- encoding -----------------------------------------------------------------

value to_document_value(const std::string& x) {
  return value{x};
}

value to_document_value(bool x) {
  return value{x};
}

value to_document_value(std::int64_t x) {
  return value{x};
}

value to_document_value(const ip_address& x) {
  return value{x.to_string()};
}

value to_document_value(overlay_mode x) {
  return value{to_wire(x)};
}

// -- decoding -----------------------------------------------------------------

void decode_context::fail(const std::string& message) {
  if (failed_)
    return;
  failed_ = true;
  std::string where;
  for (const auto& segment : path_) {
    if (!where.empty() && segment.front() != '[')
      where += '.';
    where += segment;
  }
  error_ = where.empty() ? message : where + ": " + message;
}

const value* document_decoder::lookup(const char* name) {
  const value* found = nullptr;
  for (const auto& [key, member] : object_) {
    if (key != name)
      continue;
    if (found != nullptr) {
      ctx_.fail(std::string("duplicate field `") + name + "`");
      return nullptr;
    }
    found = &member;
  }
  return found;
}

void fail_not_object(decode_context& ctx, const value& v, const char* expected) {
  ctx.fail("invalid type: " + v.describe() + ", expected " + expected);
}

void from_document_value(decode_context& ctx, const value& v, std::string& out) {
  if (!v.is_string()) {
    ctx.fail("invalid type: " + v.describe() + ", expected a string");
    return;
  }
  out = v.as_string();
}

void from_document_value(decode_context& ctx, const value& v, bool& out) {
  if (v.type() != value::kind::boolean) {
    ctx.fail("invalid type: " + v.describe() + ", expected a boolean");
    return;
  }
  out = v.as_bool();
}

void from_document_value(decode_context& ctx, const value& v, std::int64_t& out) {
  if (v.type() == value::kind::signed_integer) {
    out = v.as_int();
  } else if (v.type() == value::kind::unsigned_integer) {
    if (v.as_uint() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      ctx.fail("invalid value: integer `" + std::to_string(v.as_uint()) + "`, expected i64");
      return;
    }
    out = static_cast<std::int64_t>(v.as_uint());
  } else {
    ctx.fail("invalid type: " + v.describe() + ", expected i64");
  }
}

void decode_unsigned(decode_context& ctx, const value& v, std::uint64_t max,
                     const char* type_name, std::uint64_t& out) {
  if (v.type() == value::kind::signed_integer) {
    ctx.fail("invalid value: integer `" + std::to_string(v.as_int()) + "`, expected "
             + type_name);
  } else if (v.type() != value::kind::unsigned_integer) {
    ctx.fail("invalid type: " + v.describe() + ", expected " + type_name);
  } else if (v.as_uint() > max) {
    ctx.fail("invalid value: integer `" + std::to_string(v.as_uint()) + "`, expected "
             + type_name);
  } else {
    out = v.as_uint();
  }
}

void from_document_value(decode_context& ctx, const value& v, ip_address& out) {
  if (!v.is_string()) {
    ctx.fail("invalid type: " + v.describe() + ", expected IP address");
    return;
  }
  auto parsed = ip_address::parse(v.as_string());
  if (!parsed) {
    ctx.fail("invalid IP address syntax");
    return;
  }
  out = *parsed;
}

void from_document_value(decode_context& ctx, const value& v, overlay_mode& out) {
  if (!v.is_string()) {
    ctx.fail("invalid type: " + v.describe() + ", expected variant identifier");
    return;
  }
  auto mode = overlay_mode_from_wire(v.as_string());
  if (!mode) {
    ctx.fail("unknown variant `" + echo_of(v.as_string())
             + "`, expected one of `auto`, `shared`, `dedicated`, `isolated`");
    return;
  }
  out = *mode;
}

} // namespace overlayd::msg
