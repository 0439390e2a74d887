// Under systemd (Type=notify) the daemon says READY once its socket serves,
// and STOPPING when it stops: the test plays systemd's notify socket.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "net/base/unique_fd.hpp"

using overlayd::testing::daemon_process;
using overlayd::testing::temp_dir;

namespace {

// A datagram socket at `path`, as systemd's NOTIFY_SOCKET.
overlayd::unique_fd notify_socket(const std::string& path) {
  overlayd::unique_fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un at{};
  at.sun_family = AF_UNIX;
  std::strncpy(at.sun_path, path.c_str(), sizeof at.sun_path - 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
  return fd;
}

// The next notification, or "" after `ms`.
std::string next_notification(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) != 1)
    return "";
  char buffer[512];
  auto n = ::recv(fd, buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

// NOTIFY_SOCKET for the daemon this test starts only.
struct notify_env {
  explicit notify_env(const std::string& path) { ::setenv("NOTIFY_SOCKET", path.c_str(), 1); }
  ~notify_env() { ::unsetenv("NOTIFY_SOCKET"); }
};

} // namespace

TEST_CASE("the daemon tells systemd it is ready once the socket serves", "[integration][cli]") {
  temp_dir dir;
  const std::string path = dir.path() + "/notify";
  auto notify = notify_socket(path);
  std::optional<daemon_process> daemon;
  {
    notify_env env(path);
    daemon.emplace(dir.path());
  }
  REQUIRE(daemon->started());
  auto ready = next_notification(notify.get(), 10000);
  CHECK(ready.find("READY=1") != std::string::npos);
  CHECK(ready.find("STATUS=serving " + daemon->socket_path()) != std::string::npos);
  // By then the socket answers.
  auto conn = overlayd::app::client_connection::connect(daemon->socket_path());
  REQUIRE(conn.ok());
  auto status = conn->call(overlayd::msg::status{});
  REQUIRE(status.ok());
  CHECK(std::holds_alternative<overlayd::msg::status_snapshot>(*status));

  daemon->signal(SIGTERM);
  CHECK(next_notification(notify.get(), 10000).find("STOPPING=1") != std::string::npos);
  CHECK(daemon->wait_exit(10) == std::optional<int>(0));
}
