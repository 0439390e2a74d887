#include "messages/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace overlayd::msg {

namespace {

// -- parsing -----------------------------------------------------------------

// Recursive descent over the bytes. Error positions follow serde_json: an
// error "at" the byte just consumed uses pos_, one about the byte looked at
// but not consumed uses pos_ + 1 (both as 1-based columns).
class json_parser {
public:
  json_parser(std::string_view in, document_limits limits)
    : in_(in), remaining_depth_(limits.max_depth), max_elements_(limits.max_elements) {}

  result<value> run() {
    value root;
    if (!parse_value(root))
      return make_error(std::move(error_));
    skip_whitespace();
    if (!at_end()) {
      fail_peek("trailing characters");
      return make_error(std::move(error_));
    }
    return root;
  }

private:
  bool at_end() const { return pos_ >= in_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(in_[pos_]); }

  void skip_whitespace() {
    while (!at_end()) {
      auto c = peek();
      if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
        return;
      ++pos_;
    }
  }

  bool fail_at(const char* what, std::size_t index) {
    std::size_t line_start = 0;
    std::size_t line = 1;
    for (std::size_t i = 0; i < index && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    error_ = std::string(what) + " at line " + std::to_string(line) + " column "
             + std::to_string(index - line_start);
    return false;
  }
  bool fail(const char* what) { return fail_at(what, pos_); }
  bool fail_peek(const char* what) {
    return fail_at(what, std::min(in_.size(), pos_ + 1));
  }

  bool parse_value(value& out) {
    skip_whitespace();
    if (at_end())
      return fail_peek("EOF while parsing a value");
    if (++elements_ > max_elements_)
      return fail_peek(too_many_values(max_elements_).c_str());
    switch (peek()) {
      case 'n':
        ++pos_;
        out = nullptr;
        return parse_ident("ull");
      case 't':
        ++pos_;
        out = true;
        return parse_ident("rue");
      case 'f':
        ++pos_;
        out = false;
        return parse_ident("alse");
      case '-':
        ++pos_;
        return parse_number(false, out);
      case '"': {
        ++pos_;
        std::string s;
        if (!parse_string(s))
          return false;
        out = std::move(s);
        return true;
      }
      case '[':
      case '{': {
        // serde_json counts down from 128 and fails on reaching 0.
        if (--remaining_depth_ == 0)
          return fail_peek("recursion limit exceeded");
        bool is_array = peek() == '[';
        ++pos_;
        bool ok = is_array ? parse_array(out) : parse_object(out);
        ++remaining_depth_;
        return ok;
      }
      default:
        if (peek() >= '0' && peek() <= '9')
          return parse_number(true, out);
        return fail_peek("expected value");
    }
  }

  bool parse_ident(const char* rest) {
    for (; *rest != '\0'; ++rest) {
      if (at_end())
        return fail("EOF while parsing a value");
      if (in_[pos_++] != *rest)
        return fail("expected ident");
    }
    return true;
  }

  static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

  // pos_ is at the first digit (after any '-').
  bool parse_number(bool positive, value& out) {
    std::size_t start = positive ? pos_ : pos_ - 1;
    if (at_end())
      return fail("EOF while parsing a value");
    auto first = in_[pos_++];
    std::uint64_t significand = 0;
    bool overflow = false;
    int int_digits = 0; // significant integer digits, for out-of-range floats
    if (first == '0') {
      if (!at_end() && is_digit(peek()))
        return fail_peek("invalid number"); // one leading zero only
    } else if (is_digit(static_cast<unsigned char>(first))) {
      significand = static_cast<std::uint64_t>(first - '0');
      int_digits = 1;
      while (!at_end() && is_digit(peek())) {
        auto digit = static_cast<std::uint64_t>(in_[pos_++] - '0');
        ++int_digits;
        if (significand > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
          overflow = true;
        else
          significand = significand * 10 + digit;
      }
    } else {
      return fail("invalid number");
    }
    if (!at_end() && (peek() == '.' || peek() == 'e' || peek() == 'E'))
      return parse_float(start, int_digits, out);
    if (overflow)
      return fail("number out of range");
    if (positive || significand == 0) {
      out = significand; // "-0" is the integer 0, which is >= 0
      return true;
    }
    if (significand > std::uint64_t{1} << 63)
      return fail("number out of range");
    out = static_cast<std::int64_t>(0 - significand);
    return true;
  }

  // The integer part of [start, pos_) is read; pos_ is at '.', 'e' or 'E'.
  bool parse_float(std::size_t start, int int_digits, value& out) {
    int leading_fraction_zeros = 0;
    if (peek() == '.') {
      ++pos_;
      std::size_t digits_start = pos_;
      while (!at_end() && is_digit(peek()))
        ++pos_;
      if (pos_ == digits_start)
        return fail_peek(at_end() ? "EOF while parsing a value" : "invalid number");
      if (int_digits == 0) {
        while (digits_start + leading_fraction_zeros < pos_
               && in_[digits_start + leading_fraction_zeros] == '0')
          ++leading_fraction_zeros;
      }
    }
    long exponent = 0;
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      bool negative = false;
      if (!at_end() && (peek() == '+' || peek() == '-'))
        negative = in_[pos_++] == '-';
      if (at_end())
        return fail("EOF while parsing a value");
      if (!is_digit(peek())) {
        ++pos_;
        return fail("invalid number");
      }
      while (!at_end() && is_digit(peek())) {
        if (exponent < 100000) // far beyond any double; keeps it from overflowing
          exponent = exponent * 10 + (in_[pos_] - '0');
        ++pos_;
      }
      if (negative)
        exponent = -exponent;
    }
    double d = 0;
    auto text = in_.substr(start, pos_ - start);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Too small rounds to zero (as serde_json does); too large is an error.
      long magnitude = (int_digits > 0 ? int_digits : -leading_fraction_zeros) + exponent;
      if (magnitude > 0)
        return fail("number out of range");
      d = text[0] == '-' ? -0.0 : 0.0;
    } else if (ec != std::errc() || end != text.data() + text.size()) {
      return fail("invalid number");
    }
    if (!std::isfinite(d))
      return fail("number out of range");
    out = d;
    return true;
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool parse_hex4(unsigned& out) {
    if (in_.size() - pos_ < 4) {
      pos_ = in_.size();
      return fail("EOF while parsing a string");
    }
    out = 0;
    bool valid = true;
    for (int i = 0; i < 4; ++i) {
      int d = hex_digit(in_[pos_ + static_cast<std::size_t>(i)]);
      valid = valid && d >= 0;
      out = out * 16 + static_cast<unsigned>(d < 0 ? 0 : d);
    }
    pos_ += 4;
    return valid || fail("invalid escape");
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // pos_ is just after 'u'. Surrogates must come as a high/low pair.
  bool parse_unicode_escape(std::string& out) {
    unsigned n = 0;
    if (!parse_hex4(n))
      return false;
    if (n >= 0xDC00 && n <= 0xDFFF)
      return fail("lone leading surrogate in hex escape");
    if (n < 0xD800 || n > 0xDBFF) {
      append_utf8(out, n);
      return true;
    }
    for (char expected : {'\\', 'u'}) {
      if (at_end())
        return fail("EOF while parsing a string");
      if (in_[pos_++] != expected)
        return fail("unexpected end of hex escape");
    }
    unsigned low = 0;
    if (!parse_hex4(low))
      return false;
    if (low < 0xDC00 || low > 0xDFFF)
      return fail("lone leading surrogate in hex escape");
    append_utf8(out, 0x10000 + ((n - 0xD800) << 10) + (low - 0xDC00));
    return true;
  }

  // pos_ is just after the backslash.
  bool parse_escape(std::string& out) {
    if (at_end())
      return fail("EOF while parsing a string");
    switch (in_[pos_++]) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': return parse_unicode_escape(out);
      default: return fail("invalid escape");
    }
  }

  // pos_ is just after the opening quote.
  bool parse_string(std::string& out) {
    std::size_t chunk = pos_;
    while (!at_end()) {
      auto c = peek();
      if (c == '"') {
        out.append(in_.data() + chunk, pos_ - chunk);
        ++pos_;
        // Escapes only produce valid UTF-8, so checking the result checks
        // the raw bytes. serde_json reports this after the closing quote.
        return is_valid_utf8(out) || fail("invalid unicode code point");
      }
      if (c == '\\') {
        out.append(in_.data() + chunk, pos_ - chunk);
        ++pos_;
        if (!parse_escape(out))
          return false;
        chunk = pos_;
      } else if (c < 0x20) {
        ++pos_;
        return fail("control character (\\u0000-\\u001F) found while parsing a string");
      } else {
        ++pos_;
      }
    }
    return fail("EOF while parsing a string");
  }

  enum class next { element, closed, failed };

  // Before each element of a list or an object (pos_ just after the opening
  // bracket or the previous element): the closing bracket ends it; after
  // the first element a comma must come, and no closing bracket right
  // after it (serde_json's errors and positions).
  next stop(const char* what) {
    fail_peek(what);
    return next::failed;
  }

  next before_element(bool first, char close, const char* eof_text) {
    skip_whitespace();
    if (at_end())
      return stop(eof_text);
    if (peek() == close) {
      ++pos_;
      return next::closed;
    }
    if (!first) {
      if (peek() != ',')
        return stop(close == ']' ? "expected `,` or `]`" : "expected `,` or `}`");
      ++pos_;
      skip_whitespace();
      if (at_end())
        return stop("EOF while parsing a value");
      if (peek() == close)
        return stop("trailing comma");
    }
    return next::element;
  }

  // pos_ is just after '['.
  bool parse_array(value& out) {
    out = value::make_array();
    auto& items = out.as_array();
    for (bool first = true;; first = false) {
      auto step = before_element(first, ']', "EOF while parsing a list");
      if (step != next::element)
        return step == next::closed;
      items.emplace_back();
      if (!parse_value(items.back()))
        return false;
    }
  }

  // pos_ is just after '{'.
  bool parse_object(value& out) {
    out = value::make_object();
    auto& members = out.as_object();
    for (bool first = true;; first = false) {
      auto step = before_element(first, '}', "EOF while parsing an object");
      if (step != next::element)
        return step == next::closed;
      if (peek() != '"')
        return fail_peek("key must be a string");
      ++pos_;
      std::string key;
      if (!parse_string(key))
        return false;
      skip_whitespace();
      if (at_end())
        return fail_peek("EOF while parsing an object");
      if (peek() != ':')
        return fail_peek("expected `:`");
      ++pos_;
      members.emplace_back(std::move(key), value{});
      if (!parse_value(members.back().second))
        return false;
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  int remaining_depth_;
  std::size_t max_elements_;
  std::size_t elements_ = 0;
  std::string error_;
};

// -- printing ----------------------------------------------------------------

void append_string(std::string& out, const std::string& s) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t chunk = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s, chunk, i - chunk);
    chunk = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(s, chunk, std::string::npos);
  out += '"';
}

void append_scalar(std::string& out, const value& v) {
  switch (v.type()) {
    case value::kind::null: out += "null"; break;
    case value::kind::boolean: out += v.as_bool() ? "true" : "false"; break;
    case value::kind::unsigned_integer: out += std::to_string(v.as_uint()); break;
    case value::kind::signed_integer: out += std::to_string(v.as_int()); break;
    case value::kind::floating:
      out += std::isfinite(v.as_double()) ? format_float(v.as_double()) : "null";
      break;
    case value::kind::string: append_string(out, v.as_string()); break;
    case value::kind::array:
    case value::kind::object: break; // containers are handled by the callers
  }
}

void append_newline_indent(std::string& out, int level) {
  out += '\n';
  out.append(static_cast<std::size_t>(level) * 2, ' ');
}

void append_pretty(std::string& out, const value& v, int level) {
  if (v.is_array() && !v.as_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.as_array()) {
      if (!first)
        out += ',';
      first = false;
      append_newline_indent(out, level + 1);
      append_pretty(out, item, level + 1);
    }
    append_newline_indent(out, level);
    out += ']';
  } else if (v.is_object() && !v.as_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& [key, member] : v.as_object()) {
      if (!first)
        out += ',';
      first = false;
      append_newline_indent(out, level + 1);
      append_string(out, key);
      out += ": ";
      append_pretty(out, member, level + 1);
    }
    append_newline_indent(out, level);
    out += '}';
  } else if (v.is_array()) {
    out += "[]";
  } else if (v.is_object()) {
    out += "{}";
  } else {
    append_scalar(out, v);
  }
}

} // namespace

result<value> parse_json(std::string_view text, document_limits limits) {
  try {
    return json_parser(text, limits).run();
  } catch (const std::exception& e) { // only std::bad_alloc can get here
    return make_error(std::string("parse_json: ") + e.what());
  }
}

void append_json(std::string& out, const value& v) {
  if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.as_array()) {
      if (!first)
        out += ',';
      first = false;
      append_json(out, item);
    }
    out += ']';
  } else if (v.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, member] : v.as_object()) {
      if (!first)
        out += ',';
      first = false;
      append_string(out, key);
      out += ':';
      append_json(out, member);
    }
    out += '}';
  } else {
    append_scalar(out, v);
  }
}

std::string to_json(const value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

std::string to_json_pretty(const value& v) {
  std::string out;
  append_pretty(out, v, 0);
  return out;
}

// The layout rules of ryu's format64 (which serde_json uses), applied to the
// shortest round-trip digits that std::to_chars finds.
std::string format_float(double d) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d < 0 ? "-inf" : "inf";
  std::string out = std::signbit(d) ? "-" : "";
  d = std::fabs(d);
  if (d == 0)
    return out + "0.0";

  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf)); // "d.ddde+XX"
  auto e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos))
    if (c != '.')
      digits += c;
  int sci_exp = 0;
  auto exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+')
    exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), sci_exp);

  const int length = static_cast<int>(digits.size());
  const int kk = sci_exp + 1;  // 10^(kk-1) <= d < 10^kk
  const int k = kk - length;   // d = digits * 10^k
  if (k >= 0 && kk <= 16) {    // 1234e7 -> 12340000000.0
    out += digits;
    out.append(static_cast<std::size_t>(k), '0');
    out += ".0";
  } else if (kk > 0 && kk <= 16) { // 1234e-2 -> 12.34
    out.append(digits, 0, static_cast<std::size_t>(kk));
    out += '.';
    out.append(digits, static_cast<std::size_t>(kk), std::string::npos);
  } else if (kk > -5 && kk <= 0) { // 1234e-6 -> 0.001234
    out += "0.";
    out.append(static_cast<std::size_t>(-kk), '0');
    out += digits;
  } else if (length == 1) { // 1e30
    out += digits;
    out += 'e';
    out += std::to_string(kk - 1);
  } else { // 1234e30 -> 1.234e33
    out += digits[0];
    out += '.';
    out.append(digits, 1, std::string::npos);
    out += 'e';
    out += std::to_string(kk - 1);
  }
  return out;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0)
        lo = 0xA0; // no overlongs
      if (c == 0xED)
        hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0)
        lo = 0x90; // no overlongs
      if (c == 0xF4)
        hi = 0x8F; // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    auto second = static_cast<unsigned char>(bytes[i + 1]);
    if (second < lo || second > hi)
      return false;
    for (std::size_t j = 2; j < len; ++j) {
      auto cont = static_cast<unsigned char>(bytes[i + j]);
      if (cont < 0x80 || cont > 0xBF)
        return false;
    }
    i += len;
  }
  return true;
}

} // namespace overlayd::msg
