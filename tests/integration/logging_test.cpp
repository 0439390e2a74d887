// Where the real daemon's log goes: --log-file survives a logrotate-style
// move (SIGHUP reopens it, nothing lost, nothing after the move written to
// the moved file), and under systemd every stderr line starts with the
// syslog priority journald reads as its level.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "files.hpp"

using overlayd::app::client_connection;
using overlayd::testing::daemon_process;
using overlayd::testing::read_file;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;

namespace {

// Waits up to 5 s for `text` to appear in the file at `path`.
bool file_gets(const std::string& path, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    if (read_file(path).find(text) != std::string::npos)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

} // namespace

TEST_CASE("SIGHUP reopens the log file after logrotate moved it", "[integration]") {
  temp_dir dir;
  const std::string log = dir.path() + "/overlayd.log";
  daemon_process daemon(dir.path(), {"--log-level", "info", "--log-file", log});
  REQUIRE(daemon.started());
  REQUIRE(file_gets(log, "listening on"));

  REQUIRE(std::rename(log.c_str(), (log + ".1").c_str()) == 0);
  daemon.signal(SIGHUP);
  REQUIRE(file_gets(log, "received SIGHUP; log file " + log + " reopened"));
  // Later lines go to the new file only, and the daemon still serves.
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  REQUIRE(conn->call(msg::status{}).ok());
  daemon.signal(SIGTERM);
  CHECK(daemon.wait_exit(10) == 0);
  CHECK(read_file(log).find("stopped") != std::string::npos);
  auto rotated = read_file(log + ".1");
  CHECK(rotated.find("listening on") != std::string::npos);
  CHECK(rotated.find("reopened") == std::string::npos);
  CHECK(rotated.find("stopped") == std::string::npos);
}

TEST_CASE("a log file that cannot be opened stops the start with its reason", "[integration]") {
  temp_dir dir;
  // Under a regular file: no directory can be made there.
  const std::string blocked = dir.path() + "/plain/x.log";
  std::fclose(std::fopen((dir.path() + "/plain").c_str(), "w"));
  auto output = overlayd::testing::command_output("timeout 10 " + std::string(OVERLAYD_BIN)
                                                  + " --data-dir " + dir.path()
                                                  + "/data --log-file " + blocked
                                                  + " 2>&1; echo exit=$?");
  CHECK(output.find("open log file " + blocked) != std::string::npos);
  CHECK(output.find("exit=1") != std::string::npos);
}

TEST_CASE("under systemd each stderr line starts with its syslog priority", "[integration]") {
  temp_dir dir;
  const std::string log = dir.path() + "/stderr.log";
  ::setenv("JOURNAL_STREAM", "8:12345", 1);
  daemon_process daemon = daemon_process::with_derived_socket(dir.path() + "/data", log);
  ::unsetenv("JOURNAL_STREAM");
  REQUIRE(daemon.started());
  // An unknown op is answered with an error and logged at warn.
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  std::string frame;
  msg::append_frame(frame, R"({"frame":"request","id":1,"request":{"op":"x"}})");
  REQUIRE(conn->send_raw(frame).ok());
  REQUIRE(conn->read_response().ok());
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_exit(10) == 0);
  std::istringstream lines(read_file(log));
  int info = 0;
  int warn = 0;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK((line.rfind("<6>", 0) == 0 || line.rfind("<4>", 0) == 0 || line.rfind("<3>", 0) == 0
           || line.rfind("<7>", 0) == 0));
    info += line.rfind("<6>", 0) == 0;
    warn += line.rfind("<4>", 0) == 0;
  }
  CHECK(info >= 2); // listening, stopped
  CHECK(warn >= 1);
}
