#include "platform/command_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace overlayd::platform {

namespace {

bool is_executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

// Closes what it holds; keeps the spawn path free of leaks on every exit.
struct pipe_pair {
  int read_end = -1;
  int write_end = -1;
  ~pipe_pair() {
    close_read();
    close_write();
  }
  bool open() {
    int fds[2];
    // O_CLOEXEC: a command spawned concurrently from another thread must not
    // inherit our write end (it would keep the pipe open past our child).
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  void close_read() {
    if (read_end >= 0)
      ::close(read_end);
    read_end = -1;
  }
  void close_write() {
    if (write_end >= 0)
      ::close(write_end);
    write_end = -1;
  }
};

struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  spawn_setup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~spawn_setup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& word : argv)
    text += (text.empty() ? "" : " ") + word;
  return text;
}

} // namespace

std::string find_program(const std::string& program) {
  if (program.empty())
    return {};
  if (program.find('/') != std::string::npos)
    return is_executable(program) ? program : std::string();
  std::string dirs;
  if (const char* path = std::getenv("PATH"))
    dirs = path;
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    auto dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      auto candidate = dir + "/" + program;
      if (is_executable(candidate))
        return candidate;
    }
    start = end + 1;
  }
  return {};
}

process_runner::process_runner(std::vector<std::string> prefix, std::chrono::milliseconds timeout)
    : prefix_(std::move(prefix)), timeout_(timeout) {}

result<command_output> process_runner::run(const std::vector<std::string>& command) {
  std::vector<std::string> argv = prefix_;
  argv.insert(argv.end(), command.begin(), command.end());
  if (argv.empty())
    return make_error("run(): empty command");
  const std::string what = "run(" + argv.front() + ")";

  auto path = find_program(argv.front());
  if (path.empty())
    return make_error(what + ": command not found");

  pipe_pair out, err;
  if (!out.open() || !err.open())
    return make_error(what + ": pipe: " + std::strerror(errno));

  spawn_setup setup;
  ::posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&setup.actions, out.write_end, 1);
  ::posix_spawn_file_actions_adddup2(&setup.actions, err.write_end, 2);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  // Nothing else of the daemon (TUN fds, sockets a library opened without
  // O_CLOEXEC) leaks into a helper program.
  ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
#endif
  // The daemon may block or ignore signals (SIGPIPE, the ones a signal
  // thread waits for); a helper program should start with the defaults.
  sigset_t empty_mask, all_signals;
  sigemptyset(&empty_mask);
  sigfillset(&all_signals);
  ::posix_spawnattr_setsigmask(&setup.attributes, &empty_mask);
  ::posix_spawnattr_setsigdefault(&setup.attributes, &all_signals);
  ::posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (auto& word : argv)
    args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attributes, args.data(),
                              environ);
  out.close_write();
  err.close_write();
  if (spawned != 0)
    return make_error(what + ": " + std::strerror(spawned));

  command_output output;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (out.read_end >= 0 || err.read_end >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      wait_for(pid);
      return make_error(what + ": timed out after " + std::to_string(timeout_.count())
                        + " ms: " + joined(argv));
    }
    pollfd fds[2] = {{out.read_end, POLLIN, 0}, {err.read_end, POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0) {
      ::kill(pid, SIGKILL);
      wait_for(pid);
      return make_error(what + ": poll: " + std::strerror(errno));
    }
    pipe_pair* pipes[2] = {&out, &err};
    std::string* sinks[2] = {&output.out, &output.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buffer[4096];
      auto n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0)
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        pipes[i]->close_read(); // end of output (or an unreadable pipe)
    }
  }
  output.exit_code = wait_for(pid);
  return output;
}

} // namespace overlayd::platform
