// What a process uses, read from /proc: memory (resident now and at its
// peak), CPU time and open descriptors. For tests that show a limit holds.
#pragma once

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace overlayd::testing {

// A "VmRSS:"-style field of /proc/<pid>/status, in KiB; 0 when unreadable.
inline long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  return 0;
}

inline long resident_kib(pid_t pid) { return status_kib(pid, "VmRSS"); }
inline long peak_resident_kib(pid_t pid) { return status_kib(pid, "VmHWM"); }

// User plus system CPU time in seconds.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto after_name = text.rfind(')');
  if (after_name == std::string::npos)
    return 0;
  std::istringstream fields(text.substr(after_name + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) // state .. cmajflt: fields 3-13
    fields >> skip;
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

inline int open_descriptors(pid_t pid) {
  int count = 0;
  if (DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++count;
    ::closedir(dir);
  }
  return count;
}

} // namespace overlayd::testing
