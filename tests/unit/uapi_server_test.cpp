// The UAPI control socket serves every client at once on its own thread: a
// client that stalls neither holds up another nor stays forever, pipelined
// requests are answered in order, and more clients than the cap are all
// served in turn.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "net/base/unique_fd.hpp"
#include "platform/uapi_server.hpp"
#include "scratch_dir.hpp"

using overlayd::unique_fd;
using overlayd::net::wg::uapi_request;
using overlayd::platform::uapi_server;
using overlayd::platform::uapi_server_limits;
using overlayd::testing::scratch_dir;

namespace {

// A server whose answers count the requests: "n=<k>\nerrno=0\n\n".
struct counting_server {
  explicit counting_server(uapi_server_limits limits = {}) {
    auto started = uapi_server::start(dir.path(), "wgtest0",
                                      [this](const uapi_request&) {
                                        return "n=" + std::to_string(++answered)
                                               + "\nerrno=0\n\n";
                                      },
                                      limits);
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  scratch_dir dir{"uapi"};
  std::atomic<int> answered{0};
  std::unique_ptr<uapi_server> server;
};

unique_fd connect_to(const std::string& path) {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, path.c_str());
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

void send_text(const unique_fd& fd, const std::string& text) {
  REQUIRE(::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL)
          == static_cast<ssize_t>(text.size()));
}

// Reads until `count` answers (each ends with a blank line) or EOF, giving
// up after 10 s.
std::string read_answers(const unique_fd& fd, int count) {
  std::string text;
  auto complete = [&] {
    int seen = 0;
    for (auto at = text.find("\n\n"); at != std::string::npos; at = text.find("\n\n", at + 2))
      ++seen;
    return seen >= count;
  };
  while (!complete()) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0)
      break;
    char buffer[4096];
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0)
      break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

bool still_open(const unique_fd& fd) {
  char byte;
  return ::recv(fd.get(), &byte, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

// True when the server closes `fd` within `timeout_ms`.
bool closed_within(const unique_fd& fd, int timeout_ms) {
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0)
    return false;
  char byte;
  return ::recv(fd.get(), &byte, 1, 0) == 0;
}

} // namespace

TEST_CASE("uapi server: a client that stalls mid-request holds up no other",
          "[platform][uapi]") {
  counting_server s({64, std::chrono::milliseconds(10000)});
  auto stalled = connect_to(s.server->path());
  send_text(stalled, "get=1\n"); // the blank line never comes
  auto other = connect_to(s.server->path());
  send_text(other, "get=1\n\n");
  CHECK(read_answers(other, 1) == "n=1\nerrno=0\n\n");
  // Answered while the stalled one is still being waited for (served one
  // at a time, `other` would have waited until it was dropped).
  CHECK(still_open(stalled));
}

TEST_CASE("uapi server: a client idle past its deadline is closed", "[platform][uapi]") {
  counting_server s({64, std::chrono::milliseconds(200)});
  auto idle = connect_to(s.server->path());
  CHECK(closed_within(idle, 5000));
  auto half = connect_to(s.server->path());
  send_text(half, "set=1\nlisten_port=1");
  CHECK(closed_within(half, 5000));
  CHECK(s.answered == 0);
}

TEST_CASE("uapi server: pipelined requests are answered in order, then EOF closes",
          "[platform][uapi]") {
  counting_server s;
  auto client = connect_to(s.server->path());
  send_text(client, "get=1\n\nget=1\n\nget=1\n\n");
  CHECK(read_answers(client, 3) == "n=1\nerrno=0\n\nn=2\nerrno=0\n\nn=3\nerrno=0\n\n");
  ::shutdown(client.get(), SHUT_WR);
  CHECK(closed_within(client, 5000));
}

TEST_CASE("uapi server: a request that is neither get nor set is refused and closed",
          "[platform][uapi]") {
  counting_server s;
  auto client = connect_to(s.server->path());
  send_text(client, "hello=1\n\n");
  auto answer = read_answers(client, 1);
  CHECK(answer.rfind("errno=", 0) == 0);
  CHECK(answer != "errno=0\n\n");
  CHECK(closed_within(client, 5000));
  CHECK(s.answered == 0);
}

TEST_CASE("uapi server: more clients than the cap are all served", "[platform][uapi]") {
  counting_server s({8, std::chrono::milliseconds(10000)});
  std::vector<unique_fd> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(connect_to(s.server->path()));
    send_text(clients.back(), "get=1\n\n");
  }
  // Each closes after its answer, making room for the ones in the backlog.
  for (auto& c : clients) {
    auto answer = read_answers(c, 1);
    CHECK(answer.find("errno=0\n\n") != std::string::npos);
    c.reset();
  }
  CHECK(s.answered == 40);
}

TEST_CASE("uapi server: the socket file goes away with the server", "[platform][uapi]") {
  auto s = std::make_unique<counting_server>();
  std::string path = s->server->path();
  CHECK(std::filesystem::exists(path));
  s->server.reset();
  CHECK_FALSE(std::filesystem::exists(path));
}
