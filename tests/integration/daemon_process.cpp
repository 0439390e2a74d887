#include "daemon_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "app/client_connection.hpp"

namespace overlayd::testing {

temp_dir::temp_dir() {
  char pattern[] = "/tmp/overlayd-test-XXXXXX";
  path_ = ::mkdtemp(pattern);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

daemon_process::daemon_process(const std::string& dir, std::vector<std::string> extra_args)
  : socket_path_(dir + "/run/overlayd.sock") {
  std::vector<std::string> args = {OVERLAYD_BIN, "--data-dir", dir, "--socket", socket_path_,
                                   "--uapi-dir", dir + "/wg", "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
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
  if (reaped_ || pid_ <= 0)
    return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void daemon_process::signal(int sig) {
  if (!reaped_ && pid_ > 0)
    ::kill(pid_, sig);
}

std::optional<int> daemon_process::wait_exit(double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status))
        return WEXITSTATUS(status);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

} // namespace overlayd::testing
