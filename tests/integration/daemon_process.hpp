// Starts the real overlayd binary on a socket in a fresh temp dir and stops
// it at the end of the test, whatever happens.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "netns.hpp"
#include "scratch_dir.hpp"

namespace overlayd::testing {

using temp_dir = scratch_dir;

class daemon_process {
public:
  // Starts overlayd with --data-dir <dir> --socket <dir>/run/overlayd.sock
  // plus `extra_args`, and waits until the socket accepts connections.
  // With `ns`, the daemon runs inside that namespace (ip netns exec): every
  // device it makes stays there.
  explicit daemon_process(const std::string& dir, std::vector<std::string> extra_args = {},
                          const network_namespace* ns = nullptr);
  // Starts overlayd with --data-dir <dir> and no --socket: the daemon
  // derives <dir>/run/zlayer-overlayd.sock itself. Its log goes to `log_path`.
  static daemon_process with_derived_socket(const std::string& dir, const std::string& log_path);
  ~daemon_process();

  const std::string& socket_path() const { return socket_path_; }
  pid_t pid() const { return pid_; }
  bool started() const { return started_; }

  // Waits up to `seconds` for the process to exit; its exit status, or
  // nullopt if it is still running (or died from a signal).
  std::optional<int> wait_exit(double seconds);
  bool running();
  void signal(int sig);

private:
  daemon_process(std::string socket_path, std::vector<std::string> args,
                 const std::string& log_path, const network_namespace* ns = nullptr);
  bool reap(int wait_flags);

  std::string socket_path_;
  pid_t pid_ = -1;
  bool started_ = false;
  bool reaped_ = false;
  std::optional<int> exit_status_;
};

} // namespace overlayd::testing
