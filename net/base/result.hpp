// result<T>: a value or an error, for failures that are expected (bad input,
// a missing link, an exhausted pool, a peer actor that did not answer). The
// error carries a code callers branch on and a message for people that names
// the operation and the object, e.g. "create_bridge(zl-ab12-b): File exists"
// (the shape of CAF's error: a code plus context, without its registry).
// Marked [[nodiscard]]: an ignored failure is a bug, and where ignoring is
// right the call site says so with ignore_failure().
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace overlayd {

// What kind of failure, so callers branch without matching strings.
enum class error_code {
  failed,            // none of the below
  invalid_argument,  // the request itself is wrong
  not_found,         // the object named does not exist
  already_exists,    // the object named exists and may not be made again
  exhausted,         // a pool, band or table is full
  permission_denied, // the OS refused (EPERM, EACCES)
  timeout,           // an answer did not come in time
  unavailable,       // the one who should answer is gone or not running
};

// "timeout", "not found", ...: for logs and tests.
std::string_view to_string(error_code code) noexcept;

// errno -> code: ENOENT/ENODEV/ESRCH not_found, EEXIST already_exists,
// EINVAL invalid_argument, EPERM/EACCES permission_denied, ETIMEDOUT
// timeout, ENOSPC/EADDRINUSE/ENOBUFS exhausted, anything else failed.
error_code error_code_from_errno(int err) noexcept;

struct error {
  error_code code = error_code::failed;
  std::string message;
};

inline error make_error(std::string message) {
  return error{error_code::failed, std::move(message)};
}

inline error make_error(error_code code, std::string message) {
  return error{code, std::move(message)};
}

// "<operation>: <strerror(err)>" with the code errno implies.
error os_error(int err, const std::string& operation);

template <class T>
class [[nodiscard]] result {
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
  error_code code() const { return std::get<1>(state_).code; }
  const overlayd::error& err() const { return std::get<1>(state_); }

private:
  std::variant<T, overlayd::error> state_;
};

template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(error err) : err_(std::move(err)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::string& error_message() const { return err_.message; }
  error_code code() const { return err_.code; }
  const overlayd::error& err() const { return err_; }

private:
  overlayd::error err_;
  bool failed_ = false;
};

// For the few calls whose failure is of no consequence (best-effort
// cleanup that reports elsewhere): says so where it happens.
template <class T>
void ignore_failure(const result<T>&) noexcept {}

} // namespace overlayd
