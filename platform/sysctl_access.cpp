#include "platform/sysctl_access.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace overlayd::platform {

namespace {

error sysctl_error(const char* operation, const std::string& key, int err) {
  return make_error(std::string(operation) + "(" + key + "): " + std::strerror(err));
}

} // namespace

std::string sysctl_relative_path(const std::string& key) {
  if (key.find('/') != std::string::npos)
    return key;
  std::string path = key;
  for (auto& c : path)
    if (c == '.')
      c = '/';
  return path;
}

proc_sysctl::proc_sysctl(std::string root) : root_(std::move(root)) {}

result<std::string> proc_sysctl::read(const std::string& key) {
  auto path = root_ + "/" + sysctl_relative_path(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sysctl_error("read_sysctl", key, errno);
  std::string value;
  char buffer[512];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return sysctl_error("read_sysctl", key, err);
    }
    if (n == 0)
      break;
    value.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return value;
}

result<void> proc_sysctl::write(const std::string& key, const std::string& value) {
  auto path = root_ + "/" + sysctl_relative_path(key);
  // No O_CREAT: a key the kernel does not offer is an error, never a new file.
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return sysctl_error("write_sysctl", key, errno);
  // One write call: the kernel parses a sysctl value per write.
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0)
    return sysctl_error("write_sysctl", key, err);
  if (static_cast<std::size_t>(n) != value.size())
    return make_error("write_sysctl(" + key + "): short write");
  return {};
}

} // namespace overlayd::platform
