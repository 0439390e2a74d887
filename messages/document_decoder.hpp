// Reads a contract type from the document tree, following its `fields`
// description (binding.hpp) with serde's rules: keys in any order, unknown
// keys ignored, duplicates and unknown tags rejected, errors that name the
// field ("request.handle.pid: invalid value: integer `-1`, expected u32").
#pragma once

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "messages/binding.hpp"
#include "messages/value.hpp"

namespace overlayd::msg {

// Where the decoder is and the first error it met; later errors are ignored.
class decode_context {
public:
  bool failed() const noexcept { return failed_; }
  const std::string& error() const noexcept { return error_; }

  void fail(const std::string& message);
  void push(std::string segment) { path_.push_back(std::move(segment)); }
  void pop() { path_.pop_back(); }

private:
  std::vector<std::string> path_;
  std::string error_;
  bool failed_ = false;
};

void from_document_value(decode_context& ctx, const value& v, std::string& out);
void from_document_value(decode_context& ctx, const value& v, bool& out);
void from_document_value(decode_context& ctx, const value& v, std::int64_t& out);
void from_document_value(decode_context& ctx, const value& v, ip_address& out);
void from_document_value(decode_context& ctx, const value& v, overlay_mode& out);
// Unsigned integers of every width; `type_name` is serde's ("u16").
void decode_unsigned(decode_context& ctx, const value& v, std::uint64_t max,
                     const char* type_name, std::uint64_t& out);

template <class T, std::enable_if_t<std::is_unsigned_v<T> && !std::is_same_v<T, bool>, int> = 0>
void from_document_value(decode_context& ctx, const value& v, T& out) {
  static constexpr const char* names[] = {"u8", "u16", "", "u32", "", "", "", "u64"};
  std::uint64_t wide = 0;
  decode_unsigned(ctx, v, std::numeric_limits<T>::max(), names[sizeof(T) - 1], wide);
  out = static_cast<T>(wide);
}

template <class T>
void from_document_value(decode_context& ctx, const value& v, std::vector<T>& out);
template <class... Ts>
void from_document_value(decode_context& ctx, const value& v, std::variant<Ts...>& out);
template <class T, std::enable_if_t<std::is_class_v<T>, int> = 0>
void from_document_value(decode_context& ctx, const value& v, T& out);

class document_decoder {
public:
  document_decoder(decode_context& ctx, const value::object_type& object)
    : ctx_(ctx), object_(object) {}

  template <class T>
  void required(const char* name, T& out) {
    const value* v = lookup(name);
    if (ctx_.failed())
      return;
    if (v == nullptr) {
      ctx_.fail(std::string("missing field `") + name + "`");
      return;
    }
    decode_member(name, *v, out);
  }

  template <class T>
  void defaulted(const char* name, T& out) {
    const value* v = lookup(name);
    if (v != nullptr && !ctx_.failed())
      decode_member(name, *v, out);
  }

  template <class T>
  void optional(const char* name, std::optional<T>& out) {
    const value* v = lookup(name);
    if (v == nullptr || v->is_null() || ctx_.failed())
      return;
    T inner{};
    decode_member(name, *v, inner);
    out = std::move(inner);
  }

  template <class T>
  void nullable(const char* name, std::optional<T>& out) {
    optional(name, out);
  }

  template <class T>
  void skip_empty(const char* name, std::vector<T>& out) {
    defaulted(name, out);
  }

  template <class T>
  void flatten(T& out) {
    decode_fields(out);
  }

  template <class T>
  void decode_fields(T& out) {
    fields(*this, out);
  }

  template <class... Ts>
  void decode_fields(std::variant<Ts...>& out) {
    using variant_type = std::variant<Ts...>;
    const char* key = tag_key<variant_type>::value;
    const value* tag = lookup(key);
    if (ctx_.failed())
      return;
    if (tag == nullptr) {
      ctx_.fail(std::string("missing field `") + key + "`");
      return;
    }
    if (!tag->is_string()) {
      ctx_.fail("invalid type: " + tag->describe() + ", expected variant identifier");
      return;
    }
    if (!select_alternative<variant_type, 0>(tag->as_string(), out))
      ctx_.fail("unknown variant `" + echo_of(tag->as_string()) + "`, expected one of "
                + expected_tags<variant_type>());
  }

private:
  // The first member named `name`; a second one is serde's duplicate error.
  const value* lookup(const char* name);

  template <class T>
  void decode_member(const char* name, const value& v, T& out) {
    ctx_.push(name);
    from_document_value(ctx_, v, out);
    if (!ctx_.failed())
      ctx_.pop();
  }

  template <class Variant, std::size_t I>
  bool select_alternative(const std::string& tag, Variant& out) {
    if constexpr (I == std::variant_size_v<Variant>) {
      return false;
    } else {
      using alternative = std::variant_alternative_t<I, Variant>;
      if (tag != alternative::tag)
        return select_alternative<Variant, I + 1>(tag, out);
      auto& chosen = out.template emplace<I>();
      decode_fields(chosen);
      return true;
    }
  }

  template <class Variant, std::size_t I = 0>
  static std::string expected_tags() {
    if constexpr (I == std::variant_size_v<Variant>) {
      return {};
    } else if constexpr (is_extension<std::variant_alternative_t<I, Variant>>::value) {
      return expected_tags<Variant, I + 1>(); // the contract's error text stays the original's
    } else {
      std::string head = std::string("`") + std::variant_alternative_t<I, Variant>::tag + "`";
      std::string tail = expected_tags<Variant, I + 1>();
      return tail.empty() ? head : head + ", " + tail;
    }
  }

  decode_context& ctx_;
  const value::object_type& object_;
};

void fail_not_object(decode_context& ctx, const value& v, const char* expected);

template <class T>
void from_document_value(decode_context& ctx, const value& v, std::vector<T>& out) {
  if (!v.is_array()) {
    ctx.fail("invalid type: " + v.describe() + ", expected a sequence");
    return;
  }
  const auto& items = v.as_array();
  out.clear();
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size() && !ctx.failed(); ++i) {
    ctx.push("[" + std::to_string(i) + "]");
    T item{};
    from_document_value(ctx, items[i], item);
    if (ctx.failed())
      return;
    ctx.pop();
    out.push_back(std::move(item));
  }
}

template <class... Ts>
void from_document_value(decode_context& ctx, const value& v, std::variant<Ts...>& out) {
  if (!v.is_object()) {
    fail_not_object(ctx, v,
                    (std::string("internally tagged enum ") + tag_key<std::variant<Ts...>>::type_name)
                      .c_str());
    return;
  }
  document_decoder{ctx, v.as_object()}.decode_fields(out);
}

template <class T, std::enable_if_t<std::is_class_v<T>, int>>
void from_document_value(decode_context& ctx, const value& v, T& out) {
  if (!v.is_object()) {
    fail_not_object(ctx, v, "a map");
    return;
  }
  document_decoder{ctx, v.as_object()}.decode_fields(out);
}

} // namespace overlayd::msg
