// value: the document tree both wire codecs share. A JSON body and a msgpack
// body of the same request decode to the same value, so the contract's types
// are bound once (see binding.hpp) and the two syntaxes stay interchangeable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace overlayd::msg {

// How error texts echo a client's string: whole up to echo_limit bytes,
// else its first echo_limit bytes (cut on a UTF-8 boundary) then
// "... (<n> bytes)", so that an error reply stays far below the frame limit
// and a log line short.
inline constexpr std::size_t echo_limit = 128;
std::string echo_of(const std::string& text);

class value {
public:
  // -- member types --------------------------------------------------------

  enum class kind : std::uint8_t {
    null,
    boolean,
    unsigned_integer, // every integer >= 0
    signed_integer,   // only integers < 0
    floating,
    string,
    array,
    object,
  };

  using array_type = std::vector<value>;
  // Keys in document order. Duplicates are kept so that the binder can
  // report "duplicate field `x`" the way serde does.
  using object_type = std::vector<std::pair<std::string, value>>;

  // -- construction ----------------------------------------------------------

  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : kind_(kind::boolean), bool_(b) {}
  value(std::uint64_t u) : kind_(kind::unsigned_integer), uint_(u) {}
  value(std::int64_t i);
  value(double d) : kind_(kind::floating), double_(d) {}
  value(std::string s) : kind_(kind::string), string_(std::move(s)) {}
  value(const char* s) : kind_(kind::string), string_(s) {}
  value(array_type a) : kind_(kind::array), array_(std::move(a)) {}
  value(object_type o) : kind_(kind::object), object_(std::move(o)) {}

  static value make_object() { return value(object_type{}); }
  static value make_array() { return value(array_type{}); }

  // -- observers -------------------------------------------------------------

  kind type() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == kind::null; }
  bool is_object() const noexcept { return kind_ == kind::object; }
  bool is_array() const noexcept { return kind_ == kind::array; }
  bool is_string() const noexcept { return kind_ == kind::string; }

  bool as_bool() const noexcept { return bool_; }
  std::uint64_t as_uint() const noexcept { return uint_; }
  std::int64_t as_int() const noexcept { return int_; }
  double as_double() const noexcept { return double_; }
  const std::string& as_string() const noexcept { return string_; }
  std::string& as_string() noexcept { return string_; }
  const array_type& as_array() const noexcept { return array_; }
  array_type& as_array() noexcept { return array_; }
  const object_type& as_object() const noexcept { return object_; }
  object_type& as_object() noexcept { return object_; }

  // First member named `key`, or nullptr (objects only).
  const value* find(const std::string& key) const noexcept;

  // Appends a member (objects only); returns the stored value.
  value& add(std::string key, value v);
  // Appends an element (arrays only).
  value& push_back(value v);

  // A short description for error messages, in serde's words:
  // `string "3"`, `integer \`-1\``, `map`, `sequence`, `boolean \`true\``,
  // `null`, `floating point \`1.5\``.
  std::string describe() const;

  friend bool operator==(const value& a, const value& b) noexcept;
  friend bool operator!=(const value& a, const value& b) noexcept { return !(a == b); }

private:
  kind kind_ = kind::null;
  bool bool_ = false;
  std::uint64_t uint_ = 0;
  std::int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  array_type array_;
  object_type object_;
};

} // namespace overlayd::msg
