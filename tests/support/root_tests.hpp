// Root tests: without root they are skipped with a warning, except where
// OVERLAYD_REQUIRE_ROOT is set (CI runs as root and sets it): there a skip
// would let a broken privilege check turn the root suite green, so it fails.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace overlayd::testing {

inline bool running_as_root() {
  return ::geteuid() == 0;
}

// True when the test may go on; `needs` says what root is for.
inline bool root_or_skip(const std::string& needs) {
  if (running_as_root())
    return true;
  if (std::getenv("OVERLAYD_REQUIRE_ROOT") != nullptr)
    FAIL("OVERLAYD_REQUIRE_ROOT is set but this test runs without root (needs " << needs << ")");
  WARN("skipped: needs root (" << needs << ")");
  return false;
}

} // namespace overlayd::testing
