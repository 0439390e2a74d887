// Writes a contract type into the document tree, following its `fields`
// description (binding.hpp): keys in declaration order, the tag first.
#pragma once

#include <type_traits>

#include "messages/binding.hpp"
#include "messages/value.hpp"

namespace overlayd::msg {

value to_document_value(const std::string& x);
value to_document_value(bool x);
value to_document_value(std::int64_t x);
value to_document_value(const ip_address& x);
value to_document_value(overlay_mode x);

template <class T, std::enable_if_t<std::is_unsigned_v<T> && !std::is_same_v<T, bool>, int> = 0>
value to_document_value(T x) {
  return value{static_cast<std::uint64_t>(x)};
}

template <class T>
value to_document_value(const std::vector<T>& xs);
template <class... Ts>
value to_document_value(const std::variant<Ts...>& x);
template <class T, std::enable_if_t<std::is_class_v<T>, int> = 0>
value to_document_value(const T& x);

class document_encoder {
public:
  explicit document_encoder(value::object_type& out) : out_(out) {}

  template <class T>
  void required(const char* name, const T& x) {
    out_.emplace_back(name, to_document_value(x));
  }

  template <class T>
  void defaulted(const char* name, const T& x) {
    required(name, x);
  }

  template <class T>
  void optional(const char* name, const std::optional<T>& x) {
    if (x)
      required(name, *x);
  }

  template <class T>
  void nullable(const char* name, const std::optional<T>& x) {
    out_.emplace_back(name, x ? to_document_value(*x) : value{});
  }

  template <class T>
  void skip_empty(const char* name, const std::vector<T>& xs) {
    if (!xs.empty())
      required(name, xs);
  }

  template <class T>
  void flatten(const T& x) {
    encode_fields(x);
  }

  template <class T>
  void encode_fields(const T& x) {
    // `fields` takes a mutable reference so one description serves both
    // directions; the encoder only reads.
    fields(*this, const_cast<T&>(x));
  }

  template <class... Ts>
  void encode_fields(const std::variant<Ts...>& x) {
    using variant_type = std::variant<Ts...>;
    std::visit(
      [this](const auto& alternative) {
        out_.emplace_back(tag_key<variant_type>::value, value{alternative.tag});
        encode_fields(alternative);
      },
      x);
  }

private:
  value::object_type& out_;
};

template <class T>
value to_document_value(const std::vector<T>& xs) {
  value::array_type out;
  out.reserve(xs.size());
  for (const auto& x : xs)
    out.push_back(to_document_value(x));
  return value{std::move(out)};
}

template <class... Ts>
value to_document_value(const std::variant<Ts...>& x) {
  value::object_type out;
  document_encoder{out}.encode_fields(x);
  return value{std::move(out)};
}

template <class T, std::enable_if_t<std::is_class_v<T>, int>>
value to_document_value(const T& x) {
  value::object_type out;
  document_encoder{out}.encode_fields(x);
  return value{std::move(out)};
}

} // namespace overlayd::msg
