// overlayd-attach-bench: attaches and detaches N containers through the
// socket of a real overlayd and prints p50/p99/max per attach and per
// detach. It builds its own node namespace (where overlayd runs) and one
// namespace per container, and removes them all at the end. Run as root
// from the checkout after scripts/build.sh; prints figures, asserts nothing.
//
//   overlayd-attach-bench [containers]     (default 50)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "app/client_connection.hpp"

namespace {

using overlayd::app::client_connection;
namespace msg = overlayd::msg;
using clock_type = std::chrono::steady_clock;

int shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
      out += buffer;
    ::pclose(pipe);
  }
  return out;
}

void report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
  std::printf("%-7s n=%zu  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", what, ms.size(), at(0.5),
              at(0.99), ms.back());
}

} // namespace

int main(int argc, char** argv) {
  const int containers = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::string self = argv[0];
  const std::string bin = self.substr(0, self.find_last_of('/'));
  const std::string tag = std::to_string(::getpid());
  const std::string node = "ovdab-" + tag;
  const std::string dir = "/tmp/overlayd-attach-bench-" + tag;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "overlayd-attach-bench: needs root (network namespaces)\n");
    return 2;
  }
  shell("mkdir -p " + dir + " && ip netns add " + node + " && ip netns exec " + node
        + " ip link set lo up");
  shell("ip netns exec " + node + " " + bin + "/overlayd --data-dir " + dir + " --socket " + dir
        + "/s.sock --uapi-dir " + dir + "/wg --dropin-root " + dir
        + "/host --log-level warn >/dev/null 2>&1 &");
  std::vector<std::string> names;
  std::vector<std::uint32_t> pids;
  for (int i = 0; i < containers; ++i) {
    names.push_back("ovdab-" + tag + "-c" + std::to_string(i));
    shell("ip netns add " + names.back() + " && ip netns exec " + names.back()
          + " sleep 3600 >/dev/null 2>&1 &");
  }
  for (const auto& n : names)
    pids.push_back(static_cast<std::uint32_t>(std::atoi(output_of("ip netns pids " + n).c_str())));

  std::optional<client_connection> conn;
  for (int i = 0; i < 100 && !conn; ++i) {
    if (auto c = client_connection::connect(dir + "/s.sock"))
      conn.emplace(std::move(*c));
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int failures = 0;
  if (conn) {
    auto setup = conn->call(msg::setup_service_overlay{"bench", msg::overlay_mode::automatic});
    if (!setup || msg::is_error(*setup))
      std::fprintf(stderr, "setup_service_overlay failed; attaches will fail too\n");
    std::vector<double> attach_ms, detach_ms;
    auto timed = [&](const msg::request& r, std::vector<double>& into) {
      auto start = clock_type::now();
      auto answer = conn->call(r);
      into.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
      if (!answer || msg::is_error(*answer))
        ++failures;
    };
    for (auto pid : pids)
      timed(msg::attach_container{msg::linux_pid_handle{pid}, "bench", false, false, {}, {}, {}},
            attach_ms);
    for (auto pid : pids)
      timed(msg::detach_container{msg::linux_pid_handle{pid}}, detach_ms);
    report("attach", attach_ms);
    report("detach", detach_ms);
    std::printf("errors  %d\n", failures);
    overlayd::ignore_failure(conn->call(msg::shutdown{})); // the figures are out already
  } else {
    std::fprintf(stderr, "overlayd-attach-bench: the daemon did not start\n");
    failures = 1;
  }
  for (const auto& n : names)
    shell("ip netns pids " + n + " | xargs -r kill; ip netns del " + n);
  shell("sleep 0.3; ip netns pids " + node + " | xargs -r kill; ip netns del " + node
        + "; rm -rf " + dir);
  return failures == 0 ? 0 : 1;
}
