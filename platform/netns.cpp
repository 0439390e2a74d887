#include "platform/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <system_error>
#include <thread>

namespace overlayd::platform {

result<netns_handle> open_netns(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return os_error(errno, "open_netns(" + path + ")");
  return netns_handle(fd);
}

result<netns_handle> open_netns_of_pid(std::uint32_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Rust's io::Error display, which the original embeds in its answer.
    const int code = errno;
    return make_error("Failed to open " + path + ": " + std::strerror(code) + " (os error "
                      + std::to_string(code) + ")");
  }
  return netns_handle(fd);
}

result<void> run_in_netns(int netns_fd, const std::function<result<void>()>& work) {
  const std::string object = "fd " + std::to_string(netns_fd);
  std::optional<result<void>> outcome;
  try {
    std::thread inside([&] {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        outcome = make_error("run_in_netns(" + object + "): setns: " + std::strerror(errno));
        return; // never run the work in the namespace we came from
      }
      try {
        outcome = work();
      } catch (const std::exception& e) {
        outcome = make_error("run_in_netns(" + object + "): task failed: " + e.what());
      } catch (...) {
        outcome = make_error("run_in_netns(" + object + "): task failed");
      }
    });
    inside.join();
  } catch (const std::system_error& e) {
    return make_error("run_in_netns(" + object + "): cannot start a thread: " + e.what());
  }
  return std::move(*outcome);
}

result<void> enter_netns_for_good(const std::string& path) {
  auto netns = open_netns(path);
  if (!netns)
    return netns.err();
  if (::setns(netns->fd(), CLONE_NEWNET) != 0)
    return os_error(errno, "setns(" + path + ")");
  return {};
}

} // namespace overlayd::platform
