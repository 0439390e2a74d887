// result<T>: a value or an error message, for failures that are expected
// (bad input, a missing link, an exhausted pool). The message names the
// operation and the object, e.g. "create_bridge(zl-ab12-b): File exists".
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace overlayd {

struct error {
  std::string message;
};

template <class T>
class result {
public:
  result(T value) : state_(std::move(value)) {}
  result(error err) : state_(std::move(err)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const std::string& error_message() const { return std::get<1>(state_).message; }
  const overlayd::error& err() const { return std::get<1>(state_); }

private:
  std::variant<T, overlayd::error> state_;
};

template <>
class result<void> {
public:
  result() = default;
  result(error err) : err_(std::move(err)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::string& error_message() const { return err_.message; }
  const overlayd::error& err() const { return err_; }

private:
  overlayd::error err_;
  bool failed_ = false;
};

inline error make_error(std::string message) {
  return error{std::move(message)};
}

} // namespace overlayd
