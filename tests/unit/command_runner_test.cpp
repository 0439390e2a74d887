// platform/command_runner: the real process runner with harmless programs
// (printf, sh, sleep): argv passed verbatim, output and status collected,
// a missing program and a hung one reported as errors.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "platform/command_runner.hpp"

namespace platform = overlayd::platform;

TEST_CASE("process_runner: argv words reach the program verbatim, no shell", "[command_runner]") {
  platform::process_runner runner;
  auto out = runner.run({"printf", "%s|", "a b", "$(touch x); rm -rf /nope", "'\""});
  REQUIRE(out.ok());
  CHECK(out->exit_code == 0);
  CHECK(out->out == "a b|$(touch x); rm -rf /nope|'\"|");
  CHECK(out->err.empty());
}

TEST_CASE("process_runner: exit status and both streams", "[command_runner]") {
  platform::process_runner runner;
  auto out = runner.run({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  REQUIRE(out.ok());
  CHECK(out->exit_code == 3);
  CHECK(out->out == "to-out\n");
  CHECK(out->err == "to-err\n");

  // More than a pipe buffer on both streams at once does not deadlock.
  auto big = runner.run({"sh", "-c", "head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2"});
  REQUIRE(big.ok());
  CHECK(big->out.size() == 200000);
  CHECK(big->err.size() == 200000);
}

TEST_CASE("process_runner: a missing program, a prefix, a timeout", "[command_runner]") {
  platform::process_runner runner;
  auto missing = runner.run({"overlayd-no-such-program"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error_message() == "run(overlayd-no-such-program): command not found");
  CHECK(platform::find_program("overlayd-no-such-program").empty());
  CHECK_FALSE(platform::find_program("sh").empty());

  platform::process_runner prefixed({"printf", "%s,"});
  auto out = prefixed.run({"x", "y"});
  REQUIRE(out.ok());
  CHECK(out->out == "x,y,");

  platform::process_runner impatient({}, std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  auto hung = impatient.run({"sleep", "5"});
  REQUIRE_FALSE(hung.ok());
  CHECK(hung.error_message().rfind("run(sleep): timed out after 200 ms", 0) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
