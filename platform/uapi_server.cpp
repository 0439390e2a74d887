#include "platform/uapi_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "platform/filesystem.hpp"

namespace overlayd::platform {

namespace {

using clock_type = std::chrono::steady_clock;
using net::wg::uapi_error;
using net::wg::uapi_request;
using net::wg::uapi_request_reader;

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Writes all of `text` before the deadline; false if the client is gone or stalls.
bool write_all(int fd, const std::string& text, clock_type::time_point deadline) {
  std::size_t done = 0;
  while (done < text.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0)
      return false;
    ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace

uapi_server::uapi_server(uapi_server&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)) {}

uapi_server& uapi_server::operator=(uapi_server&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
  }
  return *this;
}

uapi_server::~uapi_server() {
  close();
}

result<uapi_server> uapi_server::listen(const std::string& directory,
                                        const std::string& interface) {
  const std::string path = directory + "/" + interface + ".sock";
  auto made = make_directories(directory, 0755);
  if (!made)
    return made.err();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    return make_error("uapi_listen(" + path + "): path too long for a Unix socket");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str()); // a stale socket of an earlier run
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return make_error("uapi_listen(" + path + "): " + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
      || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 16) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return make_error("uapi_listen(" + path + "): " + std::strerror(err));
  }
  uapi_server server;
  server.fd_.reset(fd);
  server.path_ = path;
  return server;
}

void uapi_server::serve_one(const handler& handle, std::chrono::milliseconds patience) {
  int client = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (client < 0)
    return;
  auto deadline = clock_type::now() + patience;
  uapi_request_reader reader;
  uapi_request request;
  uapi_error error;
  char buffer[4096];
  bool open = true;
  while (open) {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0)
      break; // stalled: drop it
    ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    auto status = uapi_request_reader::status::need_more;
    if (n <= 0) {
      status = reader.finish(request, error);
      open = false;
    } else {
      reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      status = reader.next(request, error);
    }
    while (status == uapi_request_reader::status::request) {
      if (!write_all(client, handle(request), deadline)) {
        open = false;
        break;
      }
      status = open ? reader.next(request, error) : uapi_request_reader::status::need_more;
    }
    if (status == uapi_request_reader::status::error) {
      write_all(client, net::wg::format_errno(error.code), deadline);
      break;
    }
  }
  ::close(client);
}

void uapi_server::close() noexcept {
  if (fd_.valid()) {
    fd_.reset();
    ::unlink(path_.c_str()); // the socket file goes with the socket
  }
}

} // namespace overlayd::platform
