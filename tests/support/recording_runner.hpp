// A command runner for tests: records every command line instead of
// running it, and answers exit 0 (or exit 1 for the programs in `failing`).
// Safe to use from an actor's thread while the test reads what it got.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "platform/command_runner.hpp"

namespace overlayd::testing {

class recording_runner final : public platform::command_runner {
public:
  std::set<std::string> failing; // programs that exit 1; set before use

  result<platform::command_output> run(const std::vector<std::string>& argv) override {
    std::string line;
    for (const auto& word : argv)
      line += (line.empty() ? "" : " ") + word;
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(line);
    if (failing.count(argv.front()))
      return platform::command_output{1, "", "Failed to reload: Access denied\n"};
    return platform::command_output{};
  }

  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

} // namespace overlayd::testing
