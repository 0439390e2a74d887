#include "daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "app/client_connection.hpp"

namespace overlayd::testing {

daemon_process::daemon_process(const std::string& dir, std::vector<std::string> extra_args,
                               const network_namespace* ns)
  : daemon_process(dir + "/run/overlayd.sock",
                   [&] {
                     std::vector<std::string> args = {"--socket", dir + "/run/overlayd.sock",
                                                      "--data-dir", dir, "--uapi-dir",
                                                      dir + "/wg", "--log-level", "warn",
                                                      "--dropin-root", dir + "/host"};
                     args.insert(args.end(), extra_args.begin(), extra_args.end());
                     return args;
                   }(),
                   "", ns) {}

daemon_process daemon_process::with_derived_socket(const std::string& dir,
                                                   const std::string& log_path) {
  return daemon_process(dir + "/run/zlayer-overlayd.sock",
                        {"--data-dir", dir, "--uapi-dir", dir + "/wg", "--dropin-root",
                         dir + "/host"},
                        log_path);
}

daemon_process::daemon_process(std::string socket_path, std::vector<std::string> args,
                               const std::string& log_path, const network_namespace* ns)
  : socket_path_(std::move(socket_path)) {
  args.insert(args.begin(), OVERLAYD_BIN);
  if (ns != nullptr)
    args.insert(args.begin(), {"/bin/ip", "netns", "exec", ns->name()});
  pid_ = ::fork();
  if (pid_ == 0) {
    if (!log_path.empty()) {
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, STDERR_FILENO);
      ::dup2(fd, STDOUT_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 200 && running(); ++i) {
    if (app::client_connection::connect(socket_path_)) {
      started_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

daemon_process::~daemon_process() {
  if (running()) {
    signal(SIGKILL);
    wait_exit(5);
  }
}

bool daemon_process::running() {
  return !reap(WNOHANG);
}

// True once the process has ended; keeps its exit status for wait_exit.
bool daemon_process::reap(int wait_flags) {
  if (reaped_ || pid_ <= 0)
    return true;
  int status = 0;
  if (::waitpid(pid_, &status, wait_flags) != pid_)
    return false;
  reaped_ = true;
  if (WIFEXITED(status))
    exit_status_ = WEXITSTATUS(status);
  return true;
}

void daemon_process::signal(int sig) {
  if (!reaped_ && pid_ > 0)
    ::kill(pid_, sig);
}

std::optional<int> daemon_process::wait_exit(double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!reap(WNOHANG)) {
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_status_;
}

} // namespace overlayd::testing
