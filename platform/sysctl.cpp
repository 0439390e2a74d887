#include "platform/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace overlayd::platform {

namespace {

error io_failure(const char* operation, const std::string& key, int code) {
  return make_error(std::string(operation) + "(" + key + "): " + std::strerror(code));
}

} // namespace

std::string sysctl_path(const std::string& key) {
  std::string relative = key;
  if (relative.find('/') == std::string::npos)
    std::replace(relative.begin(), relative.end(), '.', '/');
  return "/proc/sys/" + relative;
}

result<void> set_sysctl(const std::string& key, const std::string& value) {
  const int fd = ::open(sysctl_path(key).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return io_failure("set_sysctl", key, errno);
  // One write: procfs parses each write on its own.
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int code = errno;
  ::close(fd);
  if (n < 0)
    return io_failure("set_sysctl", key, code);
  if (static_cast<std::size_t>(n) != value.size())
    return make_error("set_sysctl(" + key + "): short write");
  return {};
}

result<std::string> read_sysctl(const std::string& key) {
  const int fd = ::open(sysctl_path(key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_failure("read_sysctl", key, errno);
  std::string text;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int code = errno;
      ::close(fd);
      return io_failure("read_sysctl", key, code);
    }
    if (n == 0)
      break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

} // namespace overlayd::platform
