#include "net/base/result.hpp"

#include <cerrno>
#include <cstring>

namespace overlayd {

std::string_view to_string(error_code code) noexcept {
  switch (code) {
    case error_code::failed:
      return "failed";
    case error_code::invalid_argument:
      return "invalid argument";
    case error_code::not_found:
      return "not found";
    case error_code::already_exists:
      return "already exists";
    case error_code::exhausted:
      return "exhausted";
    case error_code::permission_denied:
      return "permission denied";
    case error_code::timeout:
      return "timeout";
    case error_code::unavailable:
      return "unavailable";
  }
  return "failed";
}

error_code error_code_from_errno(int err) noexcept {
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ESRCH:
    case ENXIO:
      return error_code::not_found;
    case EEXIST:
    case EBUSY:
      return error_code::already_exists;
    case EINVAL:
      return error_code::invalid_argument;
    case EPERM:
    case EACCES:
      return error_code::permission_denied;
    case ETIMEDOUT:
      return error_code::timeout;
    case ENOSPC:
    case EADDRINUSE:
    case ENOBUFS:
    case EMFILE:
    case ENFILE:
      return error_code::exhausted;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return error_code::unavailable;
    default:
      return error_code::failed;
  }
}

error os_error(int err, const std::string& operation) {
  return error{error_code_from_errno(err), operation + ": " + std::strerror(err)};
}

} // namespace overlayd
