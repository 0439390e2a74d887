#include "platform/uapi_server.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "net/base/unique_fd.hpp"
#include "platform/filesystem.hpp"

namespace overlayd::platform {

namespace {

using clock_type = std::chrono::steady_clock;
using net::wg::uapi_error;
using net::wg::uapi_request;
using net::wg::uapi_request_reader;
using reader_status = uapi_request_reader::status;

struct client {
  unique_fd fd;
  uapi_request_reader reader;
  std::string out; // answers not yet written
  std::size_t written = 0;
  bool closing = false; // close once `out` is written
  bool done = false;    // close now
  clock_type::time_point deadline;

  bool writing() const { return written < out.size(); }
};

result<unique_fd> listen_at(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    return make_error("uapi_listen(" + path + "): path too long for a Unix socket");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str()); // a stale socket of an earlier run
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid())
    return make_error("uapi_listen(" + path + "): " + std::strerror(errno));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
      || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 128) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return make_error("uapi_listen(" + path + "): " + std::strerror(err));
  }
  return fd;
}

} // namespace

struct uapi_server::impl {
  std::string path;
  std::string thread_name;
  unique_fd listener;
  unique_fd stop;
  handler handle;
  uapi_server_limits limits;
  std::vector<client> clients;
  std::thread thread;

  void run() {
    // Named after the interface, so top and perf show which device is busy.
    ::pthread_setname_np(::pthread_self(), thread_name.c_str());
    std::vector<pollfd> fds;
    while (true) {
      short accepting = clients.size() < limits.max_clients ? POLLIN : 0;
      fds.assign({{stop.get(), POLLIN, 0}, {listener.get(), accepting, 0}});
      for (const auto& c : clients)
        fds.push_back({c.fd.get(), static_cast<short>(c.writing() ? POLLOUT : POLLIN), 0});
      if (::poll(fds.data(), fds.size(), wait_ms()) < 0 && errno != EINTR)
        return;
      if ((fds[0].revents & POLLIN) != 0)
        return;
      auto now = clock_type::now();
      for (std::size_t i = 0; i < clients.size(); ++i) {
        client& c = clients[i];
        short events = fds[i + 2].revents;
        if ((events & POLLOUT) != 0)
          flush(c, now);
        else if ((events & (POLLIN | POLLHUP | POLLERR)) != 0)
          read_from(c, now);
        if (!c.done && now >= c.deadline) {
          spdlog::debug("{}: UAPI client idle for {} ms: closed", path, limits.idle_timeout.count());
          c.done = true;
        }
      }
      clients.erase(std::remove_if(clients.begin(), clients.end(),
                                   [](const client& c) { return c.done; }),
                    clients.end());
      if ((fds[1].revents & POLLIN) != 0)
        accept_clients(now);
    }
  }

  // Until the nearest client deadline; forever with no client.
  int wait_ms() const {
    if (clients.empty())
      return -1;
    auto nearest = std::min_element(clients.begin(), clients.end(),
                                    [](const client& a, const client& b) {
                                      return a.deadline < b.deadline;
                                    })->deadline;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(nearest - clock_type::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
  }

  void accept_clients(clock_type::time_point now) {
    while (clients.size() < limits.max_clients) {
      int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        return; // EAGAIN, or out of descriptors: the backlog keeps them
      client c;
      c.fd.reset(fd);
      c.deadline = now + limits.idle_timeout;
      clients.push_back(std::move(c));
    }
  }

  void read_from(client& c, clock_type::time_point now) {
    char buffer[16384];
    ssize_t n = ::recv(c.fd.get(), buffer, sizeof buffer, 0);
    if (n < 0) {
      c.done = errno != EINTR && errno != EAGAIN;
      return;
    }
    c.deadline = now + limits.idle_timeout;
    uapi_request request;
    uapi_error error;
    if (n == 0) {
      c.closing = true; // the client is done sending: answer what it sent, then close
      answer(c, c.reader.finish(request, error), request, error);
    } else {
      c.reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      answer_pending(c);
    }
    flush(c, now);
  }

  // The requests complete in the reader, while nothing waits to be written
  // (a client that pipelines but does not read is not answered further).
  void answer_pending(client& c) {
    uapi_request request;
    uapi_error error;
    while (!c.closing && !c.writing()) {
      auto status = c.reader.next(request, error);
      if (status == reader_status::need_more)
        return;
      answer(c, status, request, error);
    }
  }

  void answer(client& c, reader_status status, const uapi_request& request,
              const uapi_error& error) {
    if (status == reader_status::need_more)
      return;
    if (c.written == c.out.size()) {
      c.out.clear();
      c.written = 0;
    }
    if (status == reader_status::request) {
      c.out += handle(request);
    } else {
      c.out += net::wg::format_errno(error.code); // beyond repair: answer and close
      c.closing = true;
    }
  }

  // Writes what it can; answers pipelined requests as the answers before
  // them go out; closes a closing client once all is written.
  void flush(client& c, clock_type::time_point now) {
    while (write_some(c, now)) {
      if (c.closing) {
        c.done = true;
        return;
      }
      answer_pending(c);
      if (!c.writing())
        return;
    }
  }

  // True when nothing is left to write.
  bool write_some(client& c, clock_type::time_point now) {
    while (c.writing()) {
      ssize_t n = ::send(c.fd.get(), c.out.data() + c.written, c.out.size() - c.written,
                         MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return false;
      if (n <= 0) {
        c.done = true;
        return false;
      }
      c.written += static_cast<std::size_t>(n);
      c.deadline = now + limits.idle_timeout;
    }
    return true;
  }
};

uapi_server::uapi_server(std::unique_ptr<impl> self) : self_(std::move(self)) {}

result<std::unique_ptr<uapi_server>> uapi_server::start(const std::string& directory,
                                                       const std::string& interface,
                                                       handler handle,
                                                       uapi_server_limits limits) {
  auto self = std::make_unique<impl>();
  self->path = directory + "/" + interface + ".sock";
  self->thread_name = interface.substr(0, 10) + "-uapi";
  self->handle = std::move(handle);
  self->limits = limits;
  auto made = make_directories(directory, 0755);
  if (!made)
    return made.err();
  auto listener = listen_at(self->path);
  if (!listener)
    return listener.err();
  self->listener = std::move(*listener);
  self->stop.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!self->stop.valid())
    return make_error("uapi_listen(" + self->path + "): eventfd: " + std::strerror(errno));
  impl& s = *self;
  s.thread = std::thread([&s] { s.run(); });
  return std::unique_ptr<uapi_server>(new uapi_server(std::move(self)));
}

uapi_server::~uapi_server() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(self_->stop.get(), &one, sizeof one);
  if (self_->thread.joinable())
    self_->thread.join();
  self_->listener.reset();
  ::unlink(self_->path.c_str()); // the socket file goes with the socket
}

const std::string& uapi_server::path() const noexcept {
  return self_->path;
}

} // namespace overlayd::platform
