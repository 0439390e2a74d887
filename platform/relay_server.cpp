#include "platform/relay_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "platform/udp_socket.hpp"

namespace overlayd::platform {

namespace {

using clock_type = std::chrono::steady_clock;
using state_type = net::relay::relay_server_state;

// The original sweeps nothing; DECISIONS.md 21 wants idle allocations gone,
// and once a second is precise enough for lifetimes counted in seconds.
constexpr auto sweep_interval = std::chrono::seconds(1);
// One batch per wake-up; 64 KiB each, as the original's buffer, so no
// datagram arrives cut short.
constexpr int batch_slots = 16;
constexpr std::size_t slot_bytes = net::relay::max_datagram_size;

// poll() says when to read, so a read must never block the thread. GRO
// takes a node's GSO train of frames in one read.
result<udp_socket> bind_relay_socket(const net::ip_address& address, std::uint16_t port) {
  auto socket = udp_socket::bind(address, port);
  if (socket) {
    ::fcntl(socket->fd(), F_SETFL, ::fcntl(socket->fd(), F_GETFL) | O_NONBLOCK);
    socket->enable_gro();
  }
  return socket;
}

net::ip_address wildcard_of(const net::ip_address& external) {
  // The v4 wildcard binds [::] too (udp_socket is dual-stack).
  return external.is_v6() ? net::ip_address::v6({}) : net::ip_address();
}

void log_event(const state_type::event& e) {
  using kind = state_type::event::kind;
  switch (e.what) {
  case kind::allocated:
    spdlog::info("relay server: allocated {} for {}", e.relay_addr.to_string(),
                 e.client.to_string());
    break;
  case kind::reallocated:
    spdlog::info("relay server: {} allocated again and keeps {}", e.client.to_string(),
                 e.relay_addr.to_string());
    break;
  case kind::removed:
    spdlog::info("relay server: removed {} of {} ({})", e.relay_addr.to_string(),
                 e.client.to_string(), e.detail);
    break;
  case kind::expired:
    spdlog::info("relay server: {} of {} expired ({})", e.relay_addr.to_string(),
                 e.client.to_string(), e.detail);
    break;
  case kind::refused:
    spdlog::warn("relay server: allocation for {} refused: {}", e.client.to_string(), e.detail);
    break;
  case kind::dropped:
    spdlog::debug("relay server: dropped a datagram from {}: {}", e.client.to_string(),
                  e.detail);
    break;
  }
}

} // namespace

struct relay_server::impl {
  state_type state;
  udp_socket control;
  std::map<std::uint16_t, udp_socket> relays; // by port; touched by the thread only
  net::endpoint bound;
  int stop_fd = -1;
  std::thread thread;
  std::atomic<std::size_t> sessions{0};
  std::atomic<std::uint64_t> unauthenticated{0};
  std::atomic<std::uint64_t> forwarded_bytes{0}; // what the sockets took

  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(batch_slots * slot_bytes);
  std::vector<state_type::outgoing> pending; // sends of the batch being served

  impl(const config& cfg, const net::relay::auth_key& key) : state(cfg, key) {}

  ~impl() {
    if (stop_fd >= 0)
      ::close(stop_fd);
  }

  void run() {
    auto last_sweep = clock_type::now();
    std::vector<pollfd> fds;
    std::vector<std::uint16_t> ports;
    for (;;) {
      fds.assign({{stop_fd, POLLIN, 0}, {control.fd(), POLLIN, 0}});
      ports.clear();
      for (const auto& [port, socket] : relays) {
        fds.push_back({socket.fd(), POLLIN, 0});
        ports.push_back(port);
      }
      const auto until_sweep = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_sweep + sweep_interval - clock_type::now());
      const int timeout = static_cast<int>(std::max<std::int64_t>(0, until_sweep.count()));
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
        spdlog::error("relay server: poll failed: {}; the relay stops", std::strerror(errno));
        return;
      }
      if (fds[0].revents != 0)
        return;
      if (fds[1].revents != 0)
        serve_control();
      for (std::size_t i = 0; i < ports.size(); ++i)
        if (fds[i + 2].revents != 0)
          serve_relay(ports[i]);
      if (clock_type::now() - last_sweep >= sweep_interval) {
        last_sweep = clock_type::now();
        carry_out(state.expire(last_sweep));
        flush();
      }
    }
  }

  // Reads one batch; the slots point into `buffer`.
  int receive(udp_socket& socket, datagram* slots) {
    for (int i = 0; i < batch_slots; ++i)
      slots[i] = datagram{buffer.data() + static_cast<std::size_t>(i) * slot_bytes, 0, slot_bytes,
                          {}};
    return socket.receive_batch(slots, batch_slots);
  }

  // Every datagram of a batch (with GRO, every segment) goes through the
  // state; what it sends goes out together afterwards, so runs to one
  // client leave as one GSO send and cross the network as one packet train.
  template <typename React>
  void serve(udp_socket& socket, React&& react) {
    datagram slots[batch_slots];
    const int n = receive(socket, slots);
    for (int i = 0; i < n; ++i) {
      const net::endpoint from = slots[i].peer.to_endpoint();
      for_each_segment(slots[i], [&](std::uint8_t* data, std::size_t length, std::size_t) {
        carry_out(react(from, data, length));
      });
    }
    flush();
  }

  void serve_control() {
    const auto bind = [this] { return bind_relay(); };
    serve(control, [&](const net::endpoint& from, const std::uint8_t* data, std::size_t length) {
      return state.on_control(from, data, length, clock_type::now(), bind);
    });
  }

  void serve_relay(std::uint16_t port) {
    // Serving the control socket may have closed it since the poll.
    auto it = relays.find(port);
    if (it == relays.end())
      return;
    serve(it->second, [&](const net::endpoint& from, const std::uint8_t* data, std::size_t length) {
      return state.on_allocation(port, from, data, length);
    });
  }

  std::optional<std::uint16_t> bind_relay() {
    auto socket = bind_relay_socket(wildcard_of(bound.address), 0);
    if (!socket) {
      spdlog::warn("relay server: cannot bind a relay socket: {}", socket.error_message());
      return std::nullopt;
    }
    const std::uint16_t port = socket->port();
    relays[port] = std::move(*socket);
    return port;
  }

  void carry_out(state_type::reaction r) {
    // The counts first: a client that has its answer must see them.
    sessions.store(state.session_count());
    unauthenticated.store(state.unauthenticated_drops());
    for (auto& out : r.sends)
      pending.push_back(std::move(out));
    if (!r.closed_ports.empty())
      flush(); // what was meant to leave through them, before they close
    for (std::uint16_t port : r.closed_ports)
      relays.erase(port);
    for (const auto& e : r.events)
      log_event(e);
  }

  // Sends what is pending, in order, each run through one socket as batches.
  void flush() {
    std::vector<datagram> run;
    for (std::size_t first = 0; first < pending.size();) {
      const auto via_port = pending[first].via_allocation_port;
      std::size_t end = first;
      run.clear();
      for (; end < pending.size() && pending[end].via_allocation_port == via_port; ++end)
        run.push_back(datagram{pending[end].bytes.data(), pending[end].bytes.size(), 0,
                               socket_address::from(pending[end].to)});
      send_run(via_port, run);
      first = end;
    }
    pending.clear();
  }

  void send_run(const std::optional<std::uint16_t>& via_port, std::vector<datagram>& run) {
    udp_socket* via = &control;
    if (via_port) {
      auto it = relays.find(*via_port);
      if (it == relays.end())
        return;
      via = &it->second;
    }
    for (std::size_t sent = 0; sent < run.size();) {
      const int n = via->send_batch(run.data() + sent,
                                    static_cast<int>(std::min<std::size_t>(run.size() - sent,
                                                                           udp_socket::max_batch)));
      // UDP may lose datagrams anyway; a failed send is not worth more than
      // a debug line (a full buffer, an unreachable peer).
      if (n <= 0) {
        spdlog::debug("relay server: send to {} failed: {}", run[sent].peer.to_endpoint().to_string(),
                      std::strerror(errno));
        return;
      }
      for (int i = 0; i < n; ++i)
        forwarded_bytes.fetch_add(run[sent + static_cast<std::size_t>(i)].length,
                                  std::memory_order_relaxed);
      sent += static_cast<std::size_t>(n);
    }
  }
};

relay_server::relay_server(std::unique_ptr<impl> self) : self_(std::move(self)) {}

result<std::unique_ptr<relay_server>> relay_server::start(config cfg, net::relay::auth_key key) {
  auto self = std::make_unique<impl>(cfg, key);
  const std::uint16_t port = cfg.listen_port;
  auto control = bind_relay_socket(wildcard_of(cfg.external_addr.address), port);
  if (!control)
    return make_error("relay server: cannot bind port " + std::to_string(port) + ": " +
                      control.error_message());
  self->control = std::move(*control);
  self->bound = net::endpoint{cfg.external_addr.address, self->control.port()};
  self->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->stop_fd < 0)
    return make_error(std::string("relay server: eventfd: ") + std::strerror(errno));

  std::unique_ptr<relay_server> server(new relay_server(std::move(self)));
  impl& s = *server->self_;
  s.thread = std::thread([&s] { s.run(); });
  spdlog::info("relay server: listening on port {}, relay addresses on {}, at most {} sessions",
               s.control.port(), s.bound.address.to_string(), s.state.config().max_sessions);
  return server;
}

relay_server::~relay_server() {
  const std::uint64_t one = 1;
  if (::write(self_->stop_fd, &one, sizeof one) < 0)
    spdlog::warn("relay server: cannot signal the thread to stop: {}", std::strerror(errno));
  if (self_->thread.joinable())
    self_->thread.join();
}

net::endpoint relay_server::bound() const {
  return self_->bound;
}

std::size_t relay_server::session_count() const {
  return self_->sessions.load();
}

std::uint64_t relay_server::sent_bytes() const {
  return self_->forwarded_bytes.load();
}

std::uint64_t relay_server::unauthenticated_drops() const {
  return self_->unauthenticated.load();
}

} // namespace overlayd::platform
