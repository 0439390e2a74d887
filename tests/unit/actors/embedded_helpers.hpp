// Shared by the actor-level tests: a scratch directory and a bounded wait
// for an embedded daemon's answer.
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include "actors/embedded.hpp"

namespace overlayd::testing {

struct scratch_dir {
  scratch_dir() {
    char pattern[] = "/tmp/overlayd-embedded-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

inline msg::response wait(std::future<msg::response> f) {
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return f.get();
}

inline std::string error_of(const msg::response& r) {
  REQUIRE(std::holds_alternative<msg::error_result>(r));
  return std::get<msg::error_result>(r).message;
}

} // namespace overlayd::testing
