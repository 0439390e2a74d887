#include "platform/unmanaged_dropins.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "platform/filesystem.hpp"

namespace overlayd::platform {

namespace {

constexpr const char* networkd_runtime_dir = "/run/systemd/netif";
constexpr const char* networkd_dropin = "/run/systemd/network/10-zlayer-unmanaged.network";
constexpr const char* networkmanager_runtime_dir = "/run/NetworkManager";
constexpr const char* networkmanager_dropin =
    "/run/NetworkManager/conf.d/10-zlayer-unmanaged.conf";

constexpr std::string_view networkd_body =
    "# Managed by ZLayer overlayd \xE2\x80\x94 do not edit; removed when the overlay is torn "
    "down.\n"
    "[Match]\n"
    "Name=zl-* veth-* vc-*\n"
    "\n"
    "[Link]\n"
    "Unmanaged=yes\n";

// "+=" appends to the unmanaged list set by earlier configuration (Ubuntu
// ships one in /usr/lib/NetworkManager/conf.d) instead of replacing it, as
// a plain "=" in this file, parsed after that directory, would.
constexpr std::string_view networkmanager_body =
    "# Managed by ZLayer overlayd \xE2\x80\x94 do not edit; removed when the overlay is torn "
    "down.\n"
    "[keyfile]\n"
    "unmanaged-devices+=interface-name:zl-*;interface-name:veth-*;interface-name:vc-*\n";

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The file's contents, or nothing when it cannot be read (missing).
bool read_whole(const std::string& path, std::string& content) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      content.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return n == 0;
}

// Written beside and renamed over, so a manager never reads half a file.
result<void> write_file(const std::string& path, std::string_view body) {
  if (auto dir = make_directories(parent_directory(path), 0755); !dir)
    return dir;
  const auto temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error("open(" + temp + "): " + std::strerror(errno));
  std::size_t done = 0;
  while (done < body.size()) {
    auto n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return make_error("write(" + temp + "): " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644); // whatever the umask: managers run as other users
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return make_error("rename(" + temp + ", " + path + "): " + std::strerror(err));
  }
  return {};
}

// True when the file was there and is gone now; false when it was absent.
result<bool> remove_file(const std::string& path) {
  if (::unlink(path.c_str()) == 0)
    return true;
  if (errno == ENOENT)
    return false;
  return make_error("unlink(" + path + "): " + std::strerror(errno));
}

result<void> reload(command_runner& runner, const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& word : argv)
    command += (command.empty() ? "" : " ") + word;
  auto output = runner.run(argv);
  if (!output)
    return make_error(command + ": " + output.error_message());
  if (output->exit_code != 0) {
    auto reason = output->err.substr(0, output->err.find('\n'));
    if (reason.empty())
      reason = "exit status " + std::to_string(output->exit_code);
    return make_error(command + ": " + reason);
  }
  return {};
}

error joined(const std::string& operation, const std::vector<std::string>& problems) {
  std::string message = operation + ": ";
  for (std::size_t i = 0; i < problems.size(); ++i)
    message += (i ? "; " : "") + problems[i];
  return make_error(message);
}

struct manager {
  const char* name;
  const char* runtime_dir;
  const char* dropin;
  std::string_view body;
  std::vector<std::string> reload_command;
};

std::vector<manager> managers() {
  return {{"systemd-networkd", networkd_runtime_dir, networkd_dropin, networkd_body,
           {"networkctl", "reload"}},
          {"NetworkManager", networkmanager_runtime_dir, networkmanager_dropin,
           networkmanager_body, {"nmcli", "general", "reload"}}};
}

} // namespace

std::string_view networkd_dropin_body() {
  return networkd_body;
}

std::string_view networkmanager_dropin_body() {
  return networkmanager_body;
}

unmanaged_dropins::unmanaged_dropins(command_runner& runner, std::string root)
    : runner_(runner), root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/')
    root_.pop_back();
}

std::string unmanaged_dropins::under_root(const std::string& absolute) const {
  return root_ == "/" ? absolute : root_ + absolute;
}

std::string unmanaged_dropins::networkd_dropin_path() const {
  return under_root(networkd_dropin);
}

std::string unmanaged_dropins::networkmanager_dropin_path() const {
  return under_root(networkmanager_dropin);
}

result<void> unmanaged_dropins::mark() {
  std::vector<std::string> problems;
  for (const auto& m : managers()) {
    if (!is_directory(under_root(m.runtime_dir)))
      continue; // not running: nothing would read the file
    const auto path = under_root(m.dropin);
    std::string existing;
    if (read_whole(path, existing) && existing == m.body)
      continue; // already in place and already loaded
    if (auto written = write_file(path, m.body); !written) {
      problems.push_back(written.error_message());
      continue;
    }
    spdlog::info("wrote {} so {} leaves overlay links unmanaged", path, m.name);
    if (auto reloaded = reload(runner_, m.reload_command); !reloaded)
      problems.push_back(reloaded.error_message());
  }
  if (!problems.empty())
    return joined("mark_overlay_interfaces_unmanaged", problems);
  return {};
}

result<void> unmanaged_dropins::unmark() {
  std::vector<std::string> problems;
  for (const auto& m : managers()) {
    const auto path = under_root(m.dropin);
    auto removed = remove_file(path);
    if (!removed) {
      problems.push_back(removed.error_message());
      continue;
    }
    if (!*removed)
      continue;
    spdlog::info("removed {}", path);
    if (is_directory(under_root(m.runtime_dir)))
      if (auto reloaded = reload(runner_, m.reload_command); !reloaded)
        problems.push_back(reloaded.error_message());
  }
  if (!problems.empty())
    return joined("unmark_overlay_interfaces_unmanaged", problems);
  return {};
}

} // namespace overlayd::platform
