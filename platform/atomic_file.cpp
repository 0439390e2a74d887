#include "platform/atomic_file.hpp"

#include <fcntl.h>
#include <stdio.h> // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "platform/filesystem.hpp"

namespace overlayd::platform {

namespace {

// Gives up keeping corrupt copies after this many (something is looping).
constexpr int max_corrupt_copies = 1000;

error os_error(const std::string& operation, int err) {
  return make_error(operation + ": " + std::generic_category().message(err));
}

result<void> write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return os_error("write(" + path + ")", errno);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// Writes `data` to a fresh 0600 file at `path` and syncs it.
result<void> write_private_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return os_error("open(" + path + ")", errno);
  result<void> outcome;
  if (::fchmod(fd, 0600) != 0) // the file may have existed with another mode
    outcome = os_error("fchmod(" + path + ")", errno);
  if (outcome)
    outcome = write_all(fd, data, path);
  if (outcome && ::fsync(fd) != 0)
    outcome = os_error("fsync(" + path + ")", errno);
  if (::close(fd) != 0 && outcome)
    outcome = os_error("close(" + path + ")", errno);
  return outcome;
}

// Makes a rename in `dir` durable.
result<void> sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return os_error("open(" + dir + ")", errno);
  result<void> outcome;
  if (::fsync(fd) != 0)
    outcome = os_error("fsync(" + dir + ")", errno);
  ::close(fd);
  return outcome;
}

// Renames `from` to `to` unless `to` exists (then EEXIST).
int rename_no_replace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return errno;
  // The file system cannot do RENAME_NOREPLACE: link() never replaces either.
  if (::link(from.c_str(), to.c_str()) != 0)
    return errno;
  ::unlink(from.c_str());
  return 0;
}

} // namespace

result<std::optional<std::string>> read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>();
    return os_error("open(" + path + ")", errno);
  }
  std::string content;
  char buf[16384];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return os_error("read(" + path + ")", err);
    }
    if (n == 0)
      break;
    content.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(content));
}

result<void> write_file_atomically(const std::string& path, const std::string& data) {
  auto dir = parent_directory(path);
  if (auto made = make_directories(dir, 0700); !made)
    return made;
  auto tmp = path + ".tmp";
  if (auto written = write_private_file(tmp, data); !written) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto failed = os_error("rename(" + tmp + " -> " + path + ")", errno);
    ::unlink(tmp.c_str());
    return failed;
  }
  return sync_directory(dir.empty() ? "." : dir);
}

result<std::string> keep_aside_as_corrupt(const std::string& path) {
  for (int n = 0; n < max_corrupt_copies; ++n) {
    auto target = path + ".corrupt" + (n == 0 ? "" : "." + std::to_string(n));
    int err = rename_no_replace(path, target);
    if (err == EEXIST)
      continue;
    if (err != 0)
      return os_error("rename(" + path + " -> " + target + ")", err);
    ::chmod(target.c_str(), 0600);
    return target;
  }
  return make_error("keep_aside(" + path + "): too many corrupt copies");
}

damage read_keeping_damage(
  const std::string& path,
  const std::function<std::vector<std::string>(const std::string&)>& parse) {
  damage out;
  auto content = read_whole_file(path);
  if (content && !*content)
    return out;
  if (!content) {
    out.problems.push_back(content.error_message());
  } else {
    for (auto& problem : parse(**content))
      out.problems.push_back("load(" + path + "): " + problem);
  }
  if (out.problems.empty())
    return out;
  if (auto copy = keep_aside_as_corrupt(path))
    out.corrupt_copy = std::move(*copy);
  else
    out.problems.push_back(copy.error_message());
  return out;
}

} // namespace overlayd::platform
