#include "platform/wg_device.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "net/wireguard/device_core.hpp"
#include "net/wireguard/messages.hpp"
#include "platform/packet_buffers.hpp"
#include "platform/relay_link.hpp"
#include "platform/stun_exchange.hpp"
#include "platform/tun_device.hpp"
#include "platform/tun_packet_reader.hpp"
#include "platform/tun_packet_writer.hpp"
#include "net/wireguard/transport_crypto.hpp"
#include "platform/uapi_server.hpp"
#include "platform/udp_socket.hpp"

namespace overlayd::platform {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace net::wg;

constexpr auto tick_interval = std::chrono::milliseconds(100);
// Handshake messages waiting for the control thread; past this many the
// device is "under load" and answers with cookies (whitepaper 5.3).
constexpr std::size_t under_load_queue = 64;
constexpr std::size_t max_control_queue = 1024;
// A TUN batch holds up to two 64 KiB super-packets' segments.
constexpr std::size_t tun_batch = 256;
// A datagram, or with UDP GRO a run of them, may be up to 64 KiB; decrypted
// TCP segments are coalesced into the rest of their buffer.
constexpr std::size_t udp_buffer_size = 65536;
// Decrypted together: GRO runs of up to 64 datagrams fill many slots per buffer.
constexpr std::size_t open_batch_slots = 1024;

void signal_event(int fd) {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}

// Named after the interface, so top and perf show which device is busy.
void name_thread(const std::string& interface, const char* role) {
  std::string name = interface.substr(0, 10) + "-" + role;
  ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

void clear_event(int fd) {
  std::uint64_t value = 0;
  [[maybe_unused]] auto n = ::read(fd, &value, sizeof value);
}

// The tunnel's socket takes GRO runs: a GSO sender's burst crosses the
// receiving stack as one. Without GRO (old kernels) it still works, slower.
result<udp_socket> bind_tunnel_socket(const net::ip_address& address, std::uint16_t port,
                                      bool offloads) {
  auto sock = udp_socket::bind(address, port);
  if (!sock)
    return sock;
  if (!offloads)
    sock->disable_gso();
  else if (!sock->enable_gro())
    spdlog::debug("UDP port {}: no UDP GRO on this kernel", sock->port());
  return sock;
}

struct control_message {
  std::vector<std::uint8_t> bytes;
  net::endpoint from;
};

} // namespace

struct wg_device::impl {
  explicit impl(wg_device_options o)
      : options(std::move(o)), core(options.timing, options.mtu, crypto_threads_for(options)) {}

  static unsigned crypto_threads_for(const wg_device_options& o) {
    return o.crypto_threads != 0
             ? o.crypto_threads
             : net::wg::default_crypto_threads(std::thread::hardware_concurrency());
  }

  wg_device_options options;
  device_core core;
  tun_device tun;
  std::unique_ptr<uapi_server> uapi;

  mutable std::mutex socket_lock;
  std::shared_ptr<udp_socket> socket;
  std::mutex configure_lock; // one configuration change at a time

  int wake_fd = -1;
  int stop_fd = -1;
  std::atomic<bool> stopping{false};

  std::mutex control_lock;
  std::deque<control_message> control_queue;

  stun_exchange stun;
  relay_link relay;

  std::thread tun_reader;
  std::thread udp_reader;
  std::thread control;

  std::shared_ptr<udp_socket> current_socket() const {
    std::lock_guard guard(socket_lock);
    return socket;
  }

  void send(std::vector<outgoing_datagram>& out) {
    if (out.empty())
      return;
    std::vector<datagram> batch(out.size());
    std::vector<std::uint8_t> frame;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (auto server = relay.wrap(out[i].bytes.data(), out[i].bytes.size(), out[i].to, frame)) {
        out[i].bytes.swap(frame);
        out[i].to = *server;
      }
      batch[i] = datagram{out[i].bytes.data(), out[i].bytes.size(), 0,
                          socket_address::from(out[i].to)};
    }
    current_socket()->send_batch(batch.data(), static_cast<int>(batch.size()));
    out.clear();
  }

  // -- TUN -> seal -> UDP --------------------------------------------------------------

  void run_tun_reader() {
    name_thread(options.interface, "tun");
    tun_packet_reader reader(tun, options.mtu, tun_batch);
    std::vector<seal_slot> slots(tun_batch);
    std::vector<datagram> out(tun_batch);
    std::vector<std::vector<std::uint8_t>> relay_frames(tun_batch);
    while (!stopping.load()) {
      pollfd fds[2] = {{tun.fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || stopping.load())
        continue;
      std::size_t count = reader.read_batch(slots);
      if (count == 0)
        continue;
      core.seal_batch(slots.data(), count, clock_type::now());
      std::size_t ready = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const seal_slot& s = slots[i];
        if (s.message_length == 0)
          continue;
        if (auto server = relay.wrap(s.message, s.message_length, s.to, relay_frames[i]))
          out[ready++] = datagram{relay_frames[i].data(), relay_frames[i].size(), 0,
                                  socket_address::from(*server)};
        else
          out[ready++] = datagram{s.message, s.message_length, 0, socket_address::from(s.to)};
      }
      auto sock = current_socket();
      for (std::size_t sent = 0; sent < ready;) {
        int n = sock->send_batch(out.data() + sent,
                                 static_cast<int>(std::min<std::size_t>(ready - sent,
                                                                        udp_socket::max_batch)));
        if (n <= 0)
          break; // the kernel dropped them; TCP above will resend
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  // -- UDP -> open -> TUN ----------------------------------------------------------------

  void run_udp_reader() {
    name_thread(options.interface, "udp");
    packet_buffers buffers(udp_socket::max_batch, udp_buffer_size);
    tun_packet_writer writer(tun, open_batch_slots);
    std::vector<datagram> in(udp_socket::max_batch);
    std::vector<open_slot> slots(open_batch_slots);
    while (!stopping.load()) {
      auto sock = current_socket();
      for (std::size_t i = 0; i < in.size(); ++i)
        in[i] = datagram{buffers.at(i), 0, buffers.size(), {}};
      int n = sock->receive_batch(in.data(), static_cast<int>(in.size()));
      if (n <= 0 || stopping.load())
        continue; // interrupted, or the socket was replaced: look again
      // Merges of decrypted segments may move into the buffers this batch left empty.
      const auto received = static_cast<std::size_t>(n);
      const net::packet::merge_space spare{buffers.at(received), buffers.size(),
                                           buffers.count() - received};
      std::size_t count = 0;
      for (std::size_t i = 0; i < received; ++i) {
        const net::endpoint from = in[i].peer.to_endpoint();
        for_each_segment(in[i], [&](std::uint8_t* data, std::size_t length, std::size_t capacity) {
          open_slot slot{data, length, from, capacity};
          // STUN and relay answers share the socket; they never reach the
          // engine. Relayed datagrams do, unwrapped, from the address the relay names.
          if (relay.take(slot.message, slot.length, slot.from) == relay_link::verdict::taken
              || stun.take(slot.message, slot.length))
            return;
          slots[count++] = slot;
          if (count == slots.size()) {
            open_and_deliver(slots.data(), count, writer, spare);
            count = 0;
          }
        });
      }
      open_and_deliver(slots.data(), count, writer, spare);
    }
  }

  void open_and_deliver(open_slot* slots, std::size_t count, tun_packet_writer& writer,
                        const net::packet::merge_space& spare) {
    core.open_batch(slots, count, clock_type::now());
    writer.write_batch(slots, count, spare);
    bool handshakes = false;
    for (std::size_t i = 0; i < count; ++i) {
      const open_slot& s = slots[i];
      if (s.result != open_slot::verdict::control)
        continue;
      std::lock_guard guard(control_lock);
      if (control_queue.size() < max_control_queue)
        control_queue.push_back({{s.message, s.message + s.length}, s.from});
      handshakes = true;
    }
    if (handshakes)
      signal_event(wake_fd);
  }

  // -- handshakes, timers, UAPI ----------------------------------------------------------

  void run_control() {
    name_thread(options.interface, "ctl");
    std::vector<outgoing_datagram> out;
    auto next_tick = clock_type::now();
    while (!stopping.load()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick
                                                                        - clock_type::now());
      pollfd fds[2] = {{wake_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      ::poll(fds, 2, wait.count() > 0 ? static_cast<int>(wait.count()) : 0);
      if (stopping.load())
        break;
      bool woken = (fds[0].revents & POLLIN) != 0;
      if (woken)
        clear_event(wake_fd);
      std::deque<control_message> messages;
      {
        std::lock_guard guard(control_lock);
        messages.swap(control_queue);
      }
      core.set_under_load(messages.size() >= under_load_queue);
      auto now = clock_type::now();
      auto wall = std::chrono::system_clock::now();
      for (const auto& m : messages)
        core.handle_control(m.bytes.data(), m.bytes.size(), m.from, now, wall, out);
      send(out);
      if (woken || clock_type::now() >= next_tick) {
        core.tick(clock_type::now(), std::chrono::system_clock::now(), out);
        send(out);
        next_tick = clock_type::now() + tick_interval;
      }
    }
  }

  std::string answer(wg_device& device, const uapi_request& request) {
    if (request.op == uapi_request::kind::get)
      return format_get_response(device.status());
    auto parsed = parse_set_request(request.body);
    if (!parsed.ok()) {
      spdlog::warn("{}: UAPI set refused: {}", options.interface, parsed.error.message);
      return format_errno(parsed.error.code);
    }
    auto applied = device.configure(*parsed.request);
    if (applied.code != uapi_errno::ok)
      spdlog::warn("{}: UAPI set failed: {}", options.interface, applied.message);
    return format_errno(applied.code);
  }
};

wg_device::wg_device(std::unique_ptr<impl> self) : self_(std::move(self)) {}

result<std::unique_ptr<wg_device>> wg_device::create(wg_device_options options) {
  auto self = std::make_unique<impl>(std::move(options));
  const auto& o = self->options;
  auto tun = tun_device::create(o.interface, o.offloads);
  if (!tun)
    return tun.err();
  self->tun = std::move(*tun);
  ::fcntl(self->tun.fd(), F_SETFL, ::fcntl(self->tun.fd(), F_GETFL) | O_NONBLOCK);
  auto sock = bind_tunnel_socket(o.listen_address, 0, o.offloads);
  if (!sock)
    return sock.err();
  self->socket = std::make_shared<udp_socket>(std::move(*sock));
  self->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  self->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  uapi_set_request initial;
  initial.listen_port = self->socket->port();
  self->core.apply(initial, clock_type::now());
  int wake_fd = self->wake_fd;
  self->core.set_wake([wake_fd] { signal_event(wake_fd); });

  std::unique_ptr<wg_device> device(new wg_device(std::move(self)));
  impl& d = *device->self_;
  auto uapi = uapi_server::start(o.uapi_directory, o.interface,
                                 [&d, dev = device.get()](const uapi_request& r) {
                                   return d.answer(*dev, r);
                                 });
  if (!uapi)
    return uapi.err();
  d.uapi = std::move(*uapi);
  d.tun_reader = std::thread([&d] { d.run_tun_reader(); });
  d.udp_reader = std::thread([&d] { d.run_udp_reader(); });
  d.control = std::thread([&d] { d.run_control(); });
  spdlog::info("{}: WireGuard device up, UDP port {}, MTU {}, UAPI {}, AEAD {}, {} crypto "
               "thread(s) each way{}",
               d.options.interface, d.socket->port(), d.options.mtu, d.uapi->path(),
               net::wg::transport_aead_name(), impl::crypto_threads_for(d.options),
               d.tun.offloads() ? "" : ", no offloads");
  return device;
}

wg_device::~wg_device() {
  impl& d = *self_;
  d.uapi.reset(); // no request reaches a device being torn down
  d.stopping.store(true);
  signal_event(d.stop_fd);
  d.current_socket()->shutdown_reads();
  for (auto* t : {&d.tun_reader, &d.udp_reader, &d.control})
    if (t->joinable())
      t->join();
  ::close(d.wake_fd);
  ::close(d.stop_fd);
}

const std::string& wg_device::interface() const {
  return self_->options.interface;
}

const std::string& wg_device::uapi_path() const {
  return self_->uapi->path();
}

unsigned wg_device::mtu() const {
  return self_->options.mtu;
}

std::uint16_t wg_device::listen_port() const {
  return self_->current_socket()->port();
}

uapi_error wg_device::configure(const uapi_set_request& set) {
  impl& d = *self_;
  std::lock_guard guard(d.configure_lock);
  if (set.listen_port && *set.listen_port != listen_port()) {
    auto moved = bind_tunnel_socket(d.options.listen_address, *set.listen_port,
                                    d.options.offloads);
    if (!moved)
      return uapi_error{uapi_errno::port_in_use, moved.error_message()};
    std::shared_ptr<udp_socket> old;
    {
      std::lock_guard socket_guard(d.socket_lock);
      old = std::exchange(d.socket, std::make_shared<udp_socket>(std::move(*moved)));
    }
    old->shutdown_reads(); // the UDP reader moves to the new socket
  }
  uapi_set_request applied = set;
  if (set.listen_port)
    applied.listen_port = listen_port(); // port 0 asks for any: record the real one
  return d.core.apply(applied, clock_type::now());
}

result<net::endpoint> wg_device::stun_binding(const net::endpoint& server,
                                              std::chrono::milliseconds timeout) {
  return self_->stun.ask(*self_->current_socket(), server, timeout);
}

bool wg_device::handshake_now(const key32& peer) {
  return self_->core.handshake_now(peer);
}

void wg_device::use_relay(std::optional<net::endpoint> server, const net::relay::auth_key& key) {
  self_->relay.use_server(std::move(server), key);
}

void wg_device::reach_through_relay(const net::endpoint& destination) {
  self_->relay.reach_through_relay(destination);
}

bool wg_device::reached_through_relay(const net::endpoint& destination) const {
  return self_->relay.reached_through_relay(destination);
}

result<net::relay::message> wg_device::relay_exchange(
  const net::relay::message& request, std::initializer_list<net::relay::message_type> answers,
  std::chrono::milliseconds timeout) {
  return self_->relay.exchange(*self_->current_socket(), request, answers, timeout);
}

std::vector<net::wg::peer_counters> wg_device::peer_counters() const {
  return self_->core.counters();
}

const net::wg::drop_counters& wg_device::drops() const {
  return self_->core.drops();
}

uapi_device_status wg_device::status() const {
  auto s = self_->core.status();
  s.listen_port = listen_port();
  return s;
}

} // namespace overlayd::platform
