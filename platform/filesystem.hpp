// Small file-system helpers shared by the socket and the state file.
#pragma once

#include <string>
#include <sys/types.h>

#include "net/base/result.hpp"

namespace overlayd::platform {

// "/a/b/c.sock" -> "/a/b"; "c.sock" -> "".
std::string parent_directory(const std::string& path);

// mkdir -p with `mode` for the directories it creates.
result<void> make_directories(const std::string& path, mode_t mode);

} // namespace overlayd::platform
