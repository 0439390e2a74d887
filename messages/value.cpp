#include "messages/value.hpp"

#include "messages/json.hpp"

namespace overlayd::msg {

namespace {

// Rust's `{:?}` of a str, which serde uses in `string "..."`: quotes and
// backslashes escaped, control characters as \n, \t, \r, \0 or \u{7f}.
std::string rust_debug_string(const std::string& s) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\0': out += "\\0"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u{";
          if (c >= 0x10)
            out += hex[c >> 4];
          out += hex[c & 0xF];
          out += '}';
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

// The part of `text` an error text quotes: at most echo_limit bytes, never
// half a UTF-8 character.
std::string quoted_part(const std::string& text) {
  if (text.size() <= echo_limit)
    return text;
  std::size_t cut = echo_limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut);
}

std::string cut_note(const std::string& text) {
  return text.size() <= echo_limit ? "" : "... (" + std::to_string(text.size()) + " bytes)";
}

} // namespace

std::string echo_of(const std::string& text) {
  return quoted_part(text) + cut_note(text);
}

// Non-negative integers are always unsigned_integer, whatever their C++
// type, so that equal numbers compare equal whichever codec produced them.
value::value(std::int64_t i) {
  if (i >= 0) {
    kind_ = kind::unsigned_integer;
    uint_ = static_cast<std::uint64_t>(i);
  } else {
    kind_ = kind::signed_integer;
    int_ = i;
  }
}

const value* value::find(const std::string& key) const noexcept {
  for (const auto& [name, member] : as_object())
    if (name == key)
      return &member;
  return nullptr;
}

value& value::add(std::string key, value v) {
  auto& members = object_;
  members.emplace_back(std::move(key), std::move(v));
  return members.back().second;
}

value& value::push_back(value v) {
  auto& items = array_;
  items.push_back(std::move(v));
  return items.back();
}

std::string value::describe() const {
  switch (type()) {
    case kind::null: return "null";
    case kind::boolean: return as_bool() ? "boolean `true`" : "boolean `false`";
    case kind::unsigned_integer: return "integer `" + std::to_string(as_uint()) + "`";
    case kind::signed_integer: return "integer `" + std::to_string(as_int()) + "`";
    case kind::floating: return "floating point `" + format_float(as_double()) + "`";
    case kind::string:
      return "string " + rust_debug_string(quoted_part(as_string())) + cut_note(as_string());
    case kind::array: return "sequence";
    case kind::object: return "map";
  }
  return "unknown";
}

// Kinds must match (a document's 1 and 1.0 differ, as in serde_json);
// objects compare member by member in document order.
bool operator==(const value& a, const value& b) noexcept {
  if (a.kind_ != b.kind_)
    return false;
  switch (a.kind_) {
    case value::kind::null: return true;
    case value::kind::boolean: return a.bool_ == b.bool_;
    case value::kind::unsigned_integer: return a.uint_ == b.uint_;
    case value::kind::signed_integer: return a.int_ == b.int_;
    case value::kind::floating: return a.double_ == b.double_;
    case value::kind::string: return a.string_ == b.string_;
    case value::kind::array: return a.array_ == b.array_;
    case value::kind::object: return a.object_ == b.object_;
  }
  return false;
}

} // namespace overlayd::msg
