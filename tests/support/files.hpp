// Reading what a test looks at: a file's whole contents, a command's
// standard output.
#pragma once

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace overlayd::testing {

// Empty when the file cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The standard output of a shell command line (its exit status ignored).
inline std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      out.append(buffer, n);
    ::pclose(pipe);
  }
  return out;
}

} // namespace overlayd::testing
