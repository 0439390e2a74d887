// netns: a container's network namespace, held by a file descriptor, and
// running code inside it (mechanics.md 5: with_netns_fd, with_netns;
// 7.7 step 4).
//
// setns(CLONE_NEWNET) changes only the calling thread, and a thread that
// has entered a container's namespace must never go back to serving the
// daemon: so the work always runs on a fresh std::thread that enters,
// works and ends; never on the caller's (scheduler or loop) thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "net/base/result.hpp"
#include "net/base/unique_fd.hpp"

namespace overlayd::platform {

// Owns the descriptor; the namespace stays alive while it is open, even if
// the container's process exits.
class netns_handle {
public:
  netns_handle() = default;
  explicit netns_handle(int fd) noexcept : fd_(fd) {}

  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }

private:
  unique_fd fd_;
};

// A namespace file: /proc/<pid>/ns/net, /var/run/netns/<name>.
result<netns_handle> open_netns(const std::string& path);

// /proc/<pid>/ns/net. A pid that is gone fails with the text the
// coordinator answers (wrapped as an overlay error):
// "Failed to open /proc/<pid>/ns/net: No such file or directory (os error 2)".
result<netns_handle> open_netns_of_pid(std::uint32_t pid);

// Runs `work` on a new thread inside the namespace `netns_fd` refers to and
// waits for it; its result is the answer. Fails without running `work` when
// the thread cannot enter. An exception escaping `work` becomes an error.
// The caller keeps ownership of `netns_fd`.
result<void> run_in_netns(int netns_fd, const std::function<result<void>()>& work);

// Moves the calling thread into the namespace file at `path` for good. Only
// for threads that serve that namespace alone from then on (the detached
// actors of a node confined to a namespace, host_access.hpp).
result<void> enter_netns_for_good(const std::string& path);

} // namespace overlayd::platform
