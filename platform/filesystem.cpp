#include "platform/filesystem.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace overlayd::platform {

std::string parent_directory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return {};
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

result<void> make_directories(const std::string& path, mode_t mode) {
  if (path.empty())
    return {};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return {};
    return make_error("mkdir(" + path + "): exists and is not a directory");
  }
  auto parent = parent_directory(path);
  if (!parent.empty() && parent != path) {
    auto made = make_directories(parent, mode);
    if (!made)
      return made;
  }
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return make_error("mkdir(" + path + "): " + std::strerror(errno));
  return {};
}

} // namespace overlayd::platform
