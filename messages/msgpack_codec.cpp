#include "messages/msgpack_codec.hpp"

#include <msgpack.hpp>

#include <cstring>
#include <exception>
#include <vector>

#include "messages/json.hpp"

namespace overlayd::msg {

namespace {

// A msgpack-cxx parse visitor that builds the value tree directly. Using
// msgpack::unpack instead would first build a msgpack::object tree whose
// arrays and maps are allocated at their *declared* sizes: a few bytes of
// input could then ask for gigabytes. Here containers grow only as their
// elements actually arrive.
class document_builder {
public:
  explicit document_builder(document_limits limits) : limits_(limits) {}

  // -- results ---------------------------------------------------------------

  value& root() { return root_; }
  const std::string& error() const { return error_; }

  // -- visitor callbacks (msgpack::null_visitor's interface) -----------------

  bool visit_nil() { return place(value{}) != nullptr; }
  bool visit_boolean(bool b) { return place(value(b)) != nullptr; }
  bool visit_positive_integer(std::uint64_t u) { return place(value(u)) != nullptr; }
  // msgpack-cxx reports every signed encoding here, also non-negative ones;
  // value(int64) stores those as unsigned_integer.
  bool visit_negative_integer(std::int64_t i) { return place(value(i)) != nullptr; }
  bool visit_float32(float f) { return place(value(static_cast<double>(f))) != nullptr; }
  bool visit_float64(double d) { return place(value(d)) != nullptr; }
  bool visit_str(const char* data, std::uint32_t size) {
    std::string s = size == 0 ? std::string() : std::string(data, size);
    if (!is_valid_utf8(s))
      return fail("invalid UTF-8 in a string");
    return place(value(std::move(s))) != nullptr;
  }
  bool visit_bin(const char*, std::uint32_t) { return fail("bin values are not supported"); }
  bool visit_ext(const char*, std::uint32_t) { return fail("ext values are not supported"); }

  bool start_array(std::uint32_t) { return open(value::make_array()); }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() { return close(); }

  bool start_map(std::uint32_t) { return open(value::make_object()); }
  bool start_map_key() {
    open_.back().in_key = true;
    return true;
  }
  bool end_map_key() {
    open_.back().in_key = false;
    return true;
  }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() { return close(); }

  // msgpack-cxx passes (offset - 1, offset) of the bad byte; the first
  // argument wraps around for a bad first byte.
  void parse_error(std::size_t, std::size_t bad_byte) {
    fail("invalid msgpack at byte " + std::to_string(bad_byte));
  }
  void insufficient_bytes(std::size_t, std::size_t) { fail("truncated msgpack"); }
  bool referenced() const { return false; }
  void set_referenced(bool) {}

private:
  struct open_container {
    value* container;
    bool in_key = false;
    std::string key; // the key read, waiting for its value
  };

  bool fail(std::string what) {
    if (error_.empty()) // keep the first, most precise reason
      error_ = std::move(what);
    return false;
  }

  // Puts a finished value (or an empty container) where the document is at.
  // Pointers stay valid: only the innermost open container ever grows.
  value* place(value v) {
    bool is_key = !open_.empty() && open_.back().in_key; // keys are not values
    if (!is_key && ++elements_ > limits_.max_elements) {
      fail(too_many_values(limits_.max_elements));
      return nullptr;
    }
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    auto& top = open_.back();
    if (top.container->is_array())
      return &top.container->push_back(std::move(v));
    if (top.in_key) {
      if (!v.is_string()) {
        fail("map key must be a string, not " + v.describe());
        return nullptr;
      }
      top.key = std::move(v.as_string());
      return &root_; // any non-null: a key is not a place to fill
    }
    return &top.container->add(std::move(top.key), std::move(v));
  }

  bool open(value empty_container) {
    // The same limit as JSON: by default 127 nested containers parse, 128
    // do not.
    if (open_.size() + 1 >= static_cast<std::size_t>(limits_.max_depth))
      return fail("recursion limit exceeded");
    auto* slot = place(std::move(empty_container));
    if (slot == nullptr)
      return false;
    open_.push_back(open_container{slot, false, {}});
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  document_limits limits_;
  std::size_t elements_ = 0;
  value root_;
  std::vector<open_container> open_;
  std::string error_;
};

// msgpack::packer's stream: appends to a string.
struct string_sink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

// float64, always. msgpack::packer::pack_double writes integral doubles as
// integers (1.0 as 1), which would turn a floating value into an integer
// on the way through, unlike the JSON codec.
void pack_float64(std::string& out, double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  out += static_cast<char>(0xcb);
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((bits >> shift) & 0xFF);
}

// The packer writes straight through to the sink's string, so pack_float64
// can append to the same string in between.
void pack(msgpack::packer<string_sink>& pk, std::string& out, const value& v) {
  switch (v.type()) {
    case value::kind::null: pk.pack_nil(); break;
    case value::kind::boolean: v.as_bool() ? pk.pack_true() : pk.pack_false(); break;
    case value::kind::unsigned_integer: pk.pack_uint64(v.as_uint()); break;
    case value::kind::signed_integer: pk.pack_int64(v.as_int()); break;
    case value::kind::floating: pack_float64(out, v.as_double()); break;
    case value::kind::string: {
      // Strings, arrays and maps are bounded by the 8 MiB frame limit, far
      // below msgpack's 32-bit lengths.
      const auto& s = v.as_string();
      pk.pack_str(static_cast<std::uint32_t>(s.size()));
      pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
      break;
    }
    case value::kind::array:
      pk.pack_array(static_cast<std::uint32_t>(v.as_array().size()));
      for (const auto& item : v.as_array())
        pack(pk, out, item);
      break;
    case value::kind::object:
      pk.pack_map(static_cast<std::uint32_t>(v.as_object().size()));
      for (const auto& [key, member] : v.as_object()) {
        pk.pack_str(static_cast<std::uint32_t>(key.size()));
        pk.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
        pack(pk, out, member);
      }
      break;
  }
}

} // namespace

result<value> parse_msgpack(std::string_view bytes, document_limits limits) {
  document_builder builder(limits);
  std::size_t offset = 0;
  try {
    bool complete = msgpack::parse(bytes.data(), bytes.size(), offset, builder);
    if (!builder.error().empty())
      return make_error("msgpack: " + builder.error());
    if (!complete)
      return make_error("msgpack: invalid input");
  } catch (const std::exception& e) { // msgpack-cxx throws on size overflows
    return make_error(std::string("msgpack: ") + e.what());
  }
  if (offset != bytes.size())
    return make_error("msgpack: " + std::to_string(bytes.size() - offset)
                      + " trailing bytes after the value");
  return std::move(builder.root());
}

std::string to_msgpack(const value& v) {
  std::string out;
  string_sink sink{out};
  msgpack::packer<string_sink> pk(sink);
  pack(pk, out, v);
  return out;
}

} // namespace overlayd::msg
