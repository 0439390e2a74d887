// The command lines operators and the main daemon use: overlayd's flags and
// the socket it derives, overlayctl's commands and how it reports failure.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "daemon_process.hpp"
#include "support/files.hpp"

using overlayd::testing::daemon_process;
using overlayd::testing::temp_dir;

using overlayd::testing::read_file;

namespace {

struct command_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string shell_quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

command_result run(const temp_dir& dir, const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args)
    line += shell_quoted(a) + " ";
  line += "> " + dir.path() + "/out 2> " + dir.path() + "/err";
  int status = std::system(line.c_str());
  command_result r;
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  r.out = read_file(dir.path() + "/out");
  r.err = read_file(dir.path() + "/err");
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (char c : text)
    n += c == '\n';
  return n;
}

} // namespace

TEST_CASE("overlayd: --version, --help and bad flags", "[integration][cli]") {
  temp_dir dir;
  auto version = run(dir, {OVERLAYD_BIN, "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("overlayd ", 0) == 0);
  auto help = run(dir, {OVERLAYD_BIN, "--help"});
  CHECK(help.exit_code == 0);
  for (const char* flag : {"--socket", "--data-dir", "--uapi-dir", "--log-level"})
    CHECK(contains(help.out, flag));
  auto bad = run(dir, {OVERLAYD_BIN, "--frobnicate"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "unknown option '--frobnicate'"));
  auto bad_level = run(dir, {OVERLAYD_BIN, "--log-level", "loud"});
  CHECK(bad_level.exit_code == 2);
  CHECK(contains(bad_level.err, "unknown log level 'loud'"));
}

TEST_CASE("overlayd derives its socket from --data-dir and logs where it is",
          "[integration][cli]") {
  temp_dir dir;
  std::string log = dir.path() + "/daemon.log";
  auto daemon = daemon_process::with_derived_socket(dir.path() + "/data", log);
  REQUIRE(daemon.started());
  CHECK(daemon.socket_path() == dir.path() + "/data/run/zlayer-overlayd.sock");
  daemon.signal(SIGTERM);
  CHECK(daemon.wait_exit(10) == 0);
  auto text = read_file(log);
  CHECK(contains(text, "listening on " + daemon.socket_path()));
  CHECK(contains(text, "data dir " + dir.path() + "/data"));
}

TEST_CASE("overlayctl: status, call, and one-line failures", "[integration][cli]") {
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  const std::string ctl = OVERLAYCTL_BIN;
  const std::string& sock = daemon.socket_path();

  auto status = run(dir, {ctl, "--socket", sock, "status"});
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "overlay CIDR:  10.200.0.0/16"));

  auto json = run(dir, {ctl, "--socket", sock, "status", "--json"});
  CHECK(json.exit_code == 0);
  CHECK(json.out.rfind(R"({"result":"status","overlay_cidr":"10.200.0.0/16")", 0) == 0);

  // Before any NatTick: nothing gathered, nothing refreshed.
  auto nat = run(dir, {ctl, "--socket", sock, "nat"});
  CHECK(nat.exit_code == 0);
  CHECK(nat.out == "last refresh:  never\ncandidates:    0\npeers:         0\n");
  auto nat_json = run(dir, {ctl, "--socket", sock, "nat", "--json"});
  CHECK(nat_json.out
        == "{\"result\":\"nat_status\",\"candidates\":[],\"peers\":[],\"last_refresh\":0}\n");

  auto allocated = run(dir, {ctl, "--socket", sock, "call",
                             R"({"op":"allocate_ip","service":"web","join_global":false})"});
  CHECK(allocated.exit_code == 0);
  CHECK(allocated.out == "{\"result\":\"ip\",\"ip\":\"10.200.0.2\"}\n");

  // The daemon answers an error: non-zero, its message on one line.
  auto refused = run(dir, {ctl, "--socket", sock, "call",
                           R"({"op":"write_scoped_resolver","zone":"z","node_ip":"10.0.0.1","port":53})"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "overlayctl: overlay engine error: scoped resolver is macOS-only\n");

  auto malformed = run(dir, {ctl, "--socket", sock, "call", R"({"op":"frobnicate"})"});
  CHECK(malformed.exit_code == 1);
  CHECK(line_count(malformed.err) == 1);
  CHECK(contains(malformed.err, "unknown variant `frobnicate`"));

  auto unreachable = run(dir, {ctl, "--socket", dir.path() + "/nobody.sock", "status"});
  CHECK(unreachable.exit_code == 3);
  CHECK(line_count(unreachable.err) == 1);
  CHECK(contains(unreachable.err, "overlayctl: daemon unreachable: "));
  CHECK(unreachable.out.empty());

  auto usage = run(dir, {ctl, "--socket", sock, "status", "--jsn"});
  CHECK(usage.exit_code == 2);
  CHECK(usage.err == "overlayctl: status: unknown argument '--jsn'\n");
  auto no_metrics = run(dir, {ctl, "metrics", "--metrics", "127.0.0.1:1"});
  CHECK(no_metrics.exit_code == 3);
  CHECK(contains(no_metrics.err, "is the daemon started with --metrics-listen?"));
  auto services = run(dir, {ctl, "--socket", sock, "services"});
  CHECK(services.exit_code == 0);
  CHECK(services.out.empty()); // no Dedicated service yet
}
