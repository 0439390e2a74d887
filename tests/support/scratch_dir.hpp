// scratch_dir: a fresh directory under /tmp for one test, removed with
// everything in it when the test ends (pass or fail).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace overlayd::testing {

class scratch_dir {
public:
  explicit scratch_dir(const std::string& label = "test") {
    std::string pattern = "/tmp/overlayd-" + label + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp(" + pattern + ") failed");
    path_ = pattern;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace overlayd::testing
