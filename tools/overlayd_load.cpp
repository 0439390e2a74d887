// overlayd-load: N clients, each on its own connection, send M requests of
// one kind and report throughput and latency. Run by hand against a running
// daemon; it prints figures, it asserts nothing.
//
//   overlayd-load --socket ./var/run/zlayer-overlayd.sock --clients 16 --requests 20000
//   overlayd-load --socket ... --kind alloc       (AllocateIp + ReleaseIp pairs)
//   overlayd-load --socket ... --echo-baseline    (also a plain echo server, for scale)
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "app/client_connection.hpp"

namespace {

using overlayd::app::client_connection;
namespace msg = overlayd::msg;
using clock_type = std::chrono::steady_clock;

struct load_options {
  std::string socket_path;
  unsigned clients = 16;
  unsigned requests = 20000; // per client
  std::string kind = "status";
  msg::body_codec codec = msg::body_codec::json;
  bool echo_baseline = false;
};

struct client_outcome {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t errors = 0;
  std::uint64_t mismatched_ids = 0;
  std::string failure; // connection-level failure, if any
};

// Waits in poll() until the answer is there, as an event-driven client
// (the main daemon's) does. A thread blocked in recv() instead is woken each
// time the server reads its request (AF_UNIX signals "writable" on the same
// wait queue), an extra wakeup per request that poll() filters out.
void wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

// One request, one answer, with its latency; checks the echoed id.
bool round_trip(client_connection& conn, std::uint64_t id, const msg::request& request,
                msg::body_codec codec, client_outcome& out, msg::response& answer) {
  auto start = clock_type::now();
  auto sent = conn.send_request(id, request, codec);
  if (!sent) {
    out.failure = sent.error_message();
    return false;
  }
  wait_readable(conn.fd());
  auto response = conn.read_response();
  if (!response) {
    out.failure = response.error_message();
    return false;
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
  out.latencies_us.push_back(static_cast<std::uint32_t>(elapsed.count()));
  if (response->id != id)
    ++out.mismatched_ids;
  if (msg::is_error(response->response))
    ++out.errors;
  answer = std::move(response->response);
  return true;
}

void run_client(const load_options& opts, unsigned index, client_outcome& out) {
  auto conn = client_connection::connect(opts.socket_path);
  if (!conn) {
    out.failure = conn.error_message();
    return;
  }
  out.latencies_us.reserve(opts.requests * 2);
  std::uint64_t id = std::uint64_t{index} << 32;
  msg::response answer;
  for (unsigned i = 0; i < opts.requests; ++i) {
    if (opts.kind == "status") {
      if (!round_trip(*conn, ++id, msg::status{}, opts.codec, out, answer))
        return;
      continue;
    }
    msg::allocate_ip alloc{"load-" + std::to_string(index), false};
    if (!round_trip(*conn, ++id, alloc, opts.codec, out, answer))
      return;
    if (auto* ip = std::get_if<msg::ip_result>(&answer))
      if (!round_trip(*conn, ++id, msg::release_ip{ip->ip}, opts.codec, out, answer))
        return;
  }
}

// -- the echo baseline -------------------------------------------------------
// What the daemon is compared with: the cheapest possible server of the same
// frames, a thread per connection doing blocking reads and writes. Its
// latency is the floor set by the kernel, the scheduler and this client.

bool read_exact(int fd, char* data, std::size_t n) {
  while (n > 0) {
    ssize_t got = ::read(fd, data, n);
    if (got <= 0) {
      if (got < 0 && errno == EINTR)
        continue;
      return false;
    }
    data += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t put = ::send(fd, data, n, MSG_NOSIGNAL);
    if (put < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

// Reads a u32 little-endian length and the body, writes both back, until EOF.
void echo_frames(int fd) {
  std::string frame;
  for (;;) {
    unsigned char prefix[4];
    if (!read_exact(fd, reinterpret_cast<char*>(prefix), 4))
      break;
    std::uint32_t len = std::uint32_t{prefix[0]} | std::uint32_t{prefix[1]} << 8
                        | std::uint32_t{prefix[2]} << 16 | std::uint32_t{prefix[3]} << 24;
    if (len > msg::max_frame_bytes)
      break;
    frame.assign(reinterpret_cast<char*>(prefix), 4);
    frame.resize(4 + len);
    if (!read_exact(fd, frame.data() + 4, len) || !write_all(fd, frame.data(), frame.size()))
      break;
  }
  ::close(fd);
}

class echo_server {
public:
  // Listens on a socket in a fresh temp directory; path() is empty on failure.
  echo_server() {
    char dir[] = "/tmp/overlayd-echo-XXXXXX";
    if (::mkdtemp(dir) == nullptr)
      return;
    dir_ = dir;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = dir_ + "/echo.sock";
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
        || ::listen(listener_, 128) != 0)
      return;
    path_ = path;
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~echo_server() {
    if (listener_ >= 0)
      ::shutdown(listener_, SHUT_RDWR); // wakes accept()
    if (acceptor_.joinable())
      acceptor_.join();
    for (auto& t : connections_) // each ends when its client hangs up
      t.join();
    if (listener_ >= 0)
      ::close(listener_);
    if (!path_.empty())
      ::unlink(path_.c_str());
    if (!dir_.empty())
      ::rmdir(dir_.c_str());
  }

  const std::string& path() const { return path_; }

private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        return;
      }
      connections_.emplace_back(echo_frames, fd);
    }
  }

  std::string dir_, path_;
  int listener_ = -1;
  std::thread acceptor_;
  std::vector<std::thread> connections_; // touched only by the acceptor until it is joined
};

// The daemon's client loop against the echo server: the same status request
// frame goes out and one frame (its echo) comes back.
void run_echo_client(const load_options& opts, const std::string& path, unsigned index,
                     client_outcome& out) {
  auto conn = client_connection::connect(path);
  if (!conn) {
    out.failure = conn.error_message();
    return;
  }
  out.latencies_us.reserve(opts.requests);
  std::uint64_t id = std::uint64_t{index} << 32;
  for (unsigned i = 0; i < opts.requests; ++i) {
    auto start = clock_type::now();
    auto sent = conn->send_request(++id, msg::status{}, opts.codec);
    if (!sent) {
      out.failure = sent.error_message();
      return;
    }
    wait_readable(conn->fd());
    auto echoed = conn->read_body();
    if (!echoed) {
      out.failure = echoed.error_message();
      return;
    }
    auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
    out.latencies_us.push_back(static_cast<std::uint32_t>(elapsed.count()));
  }
}

// -- running and reporting --------------------------------------------------------

struct load_figures {
  std::vector<std::uint32_t> latencies_us; // sorted
  double seconds = 0;
  std::uint64_t errors = 0, mismatched = 0, failed_clients = 0;

  double per_second() const { return static_cast<double>(latencies_us.size()) / seconds; }
  std::uint32_t percentile(double p) const {
    return latencies_us[std::min(latencies_us.size() - 1,
                                 static_cast<std::size_t>(p * latencies_us.size()))];
  }
};

// Runs `client(index, outcome)` on opts.clients threads at once.
template <class Client>
load_figures run_clients(const load_options& opts, Client client) {
  std::vector<client_outcome> outcomes(opts.clients);
  std::vector<std::thread> threads;
  auto start = clock_type::now();
  for (unsigned c = 0; c < opts.clients; ++c)
    threads.emplace_back(client, c, std::ref(outcomes[c]));
  for (auto& t : threads)
    t.join();
  load_figures f;
  f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  for (const auto& o : outcomes) {
    f.latencies_us.insert(f.latencies_us.end(), o.latencies_us.begin(), o.latencies_us.end());
    f.errors += o.errors;
    f.mismatched += o.mismatched_ids;
    if (!o.failure.empty()) {
      ++f.failed_clients;
      std::fprintf(stderr, "client failed: %s\n", o.failure.c_str());
    }
  }
  std::sort(f.latencies_us.begin(), f.latencies_us.end());
  return f;
}

int usage() {
  std::fputs("usage: overlayd-load --socket PATH [--clients N] [--requests M per client]\n"
             "                     [--kind status|alloc] [--codec json|msgpack] [--echo-baseline]\n"
             "  --echo-baseline  also time a plain Unix-socket echo of the same frames\n"
             "                   (alone, without --socket, only the echo)\n",
             stderr);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  load_options opts;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--echo-baseline") {
      opts.echo_baseline = true;
      continue;
    }
    if (i + 1 == argc)
      return usage();
    std::string v = argv[++i];
    if (flag == "--socket")
      opts.socket_path = v;
    else if (flag == "--clients")
      opts.clients = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    else if (flag == "--requests")
      opts.requests = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    else if (flag == "--kind" && (v == "status" || v == "alloc"))
      opts.kind = v;
    else if (flag == "--codec" && (v == "json" || v == "msgpack"))
      opts.codec = v == "json" ? msg::body_codec::json : msg::body_codec::msgpack;
    else
      return usage();
  }
  if ((opts.socket_path.empty() && !opts.echo_baseline) || opts.clients == 0
      || opts.requests == 0)
    return usage();

  int status = 0;
  load_figures daemon;
  if (!opts.socket_path.empty()) {
    daemon = run_clients(opts, [&opts](unsigned c, client_outcome& out) {
      run_client(opts, c, out);
    });
    if (daemon.latencies_us.empty())
      return 1;
    std::printf("kind %s, codec %s, %u clients x %u\n", opts.kind.c_str(),
                opts.codec == msg::body_codec::json ? "json" : "msgpack", opts.clients,
                opts.requests);
    std::printf("requests:       %zu in %.3f s\n", daemon.latencies_us.size(), daemon.seconds);
    std::printf("requests/s:     %.0f\n", daemon.per_second());
    std::printf("latency p50:    %u us\n", daemon.percentile(0.50));
    std::printf("latency p99:    %u us\n", daemon.percentile(0.99));
    std::printf("latency max:    %u us\n", daemon.latencies_us.back());
    std::printf("errors:         %llu\n", static_cast<unsigned long long>(daemon.errors));
    std::printf("mismatched ids: %llu\n", static_cast<unsigned long long>(daemon.mismatched));
    std::printf("failed clients: %llu\n", static_cast<unsigned long long>(daemon.failed_clients));
    status = daemon.errors + daemon.mismatched + daemon.failed_clients == 0 ? 0 : 1;
  }
  if (!opts.echo_baseline)
    return status;

  echo_server server;
  if (server.path().empty()) {
    std::fprintf(stderr, "echo baseline: cannot listen: %s\n", std::strerror(errno));
    return 1;
  }
  auto echo = run_clients(opts, [&opts, &server](unsigned c, client_outcome& out) {
    run_echo_client(opts, server.path(), c, out);
  });
  if (echo.latencies_us.empty())
    return 1;
  std::printf("echo baseline (status request frames, %u clients x %u)\n", opts.clients,
              opts.requests);
  std::printf("echo requests/s:  %.0f\n", echo.per_second());
  std::printf("echo latency p50: %u us\n", echo.percentile(0.50));
  std::printf("echo latency p99: %u us\n", echo.percentile(0.99));
  if (!daemon.latencies_us.empty())
    std::printf("p50 daemon/echo:  %.2f\n", static_cast<double>(daemon.percentile(0.50))
                                              / std::max(1u, echo.percentile(0.50)));
  return status;
}
