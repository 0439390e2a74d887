#include "platform/dns_server.hpp"

#include <sys/socket.h>
#include <uv.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "net/dns/answer_cache.hpp"
#include "platform/dns_sockets.hpp"

namespace overlayd::platform {

namespace {

using net::dns::handled;
using net::dns::outcome;
using net::dns::transport;

// libuv's recvmmsg takes up to 20 datagrams, each in a 64 KiB slot.
constexpr std::size_t udp_slot = 64 * 1024;
constexpr std::size_t udp_slots = 20;
constexpr std::size_t max_tcp_unwritten = 1 << 20;
constexpr std::size_t tcp_frame_max = 2 + 65535;
constexpr std::size_t tcp_read_chunk = 16 * 1024;

struct datagram_out {
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
  std::vector<std::uint8_t> bytes;
};

struct udp_listener {
  uv_udp_t handle{}; // first member: the handle's address is the listener's
  dns_server::impl* server = nullptr;
  net::endpoint at;
  std::unique_ptr<char[]> buffer{new char[udp_slot * udp_slots]};
  std::vector<datagram_out> batch; // the answers of one recvmmsg, sent together
};

struct tcp_listener {
  uv_tcp_t handle{};
  dns_server::impl* server = nullptr;
  net::endpoint at;
};

struct tcp_connection {
  uv_tcp_t handle{};
  uv_timer_t idle{};
  dns_server::impl* server = nullptr;
  std::uint64_t id = 0;
  std::vector<std::uint8_t> in;
  std::size_t unwritten = 0;
  int handles_open = 2;
  bool closing = false;
};

struct tcp_write {
  uv_write_t req{};
  tcp_connection* connection = nullptr;
  std::vector<std::uint8_t> bytes;
};

// Where a forwarded query's answer goes back to.
struct client {
  transport via = transport::udp;
  net::endpoint listener;          // UDP: the socket it came in on
  sockaddr_storage peer{};         // UDP
  socklen_t peer_len = 0;          // UDP
  std::uint64_t connection = 0;    // TCP
};

template <class T>
uv_handle_t* as_handle(T* h) {
  return reinterpret_cast<uv_handle_t*>(h);
}

template <class T>
void close_and_delete(T* owner) {
  uv_close(as_handle(&owner->handle), [](uv_handle_t* h) { delete static_cast<T*>(h->data); });
}

// The sender of a datagram, kept for the answer.
socklen_t copy_peer(const sockaddr* from, sockaddr_storage& to) {
  socklen_t length = from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&to, from, length);
  return length;
}

} // namespace

struct dns_server::impl {
  dns_server_options options;
  uv_loop_t loop{};
  uv_async_t wake{};
  std::thread thread;

  mutable std::mutex zone_mutex;
  net::dns::zone_pointer zone;

  std::mutex commands_mutex;
  std::vector<std::function<void()>> commands;

  // Loop thread only below.
  std::map<net::endpoint, udp_listener*> udp;
  std::map<net::endpoint, tcp_listener*> tcp;
  std::unordered_map<std::uint64_t, tcp_connection*> connections;
  std::uint64_t next_connection = 1;
  std::unique_ptr<dns_forwarder> forwarder;
  net::dns::answer_cache answers;
  std::vector<mmsghdr> send_headers;
  std::vector<iovec> send_iovecs;

  bool can_forward() const { return !options.forwarding.upstreams.empty(); }

  net::dns::zone_pointer snapshot() const {
    std::lock_guard<std::mutex> lock(zone_mutex);
    return zone;
  }

  void count(outcome o) { options.counters->add(o); }

  void post(std::function<void()> command) {
    {
      std::lock_guard<std::mutex> lock(commands_mutex);
      commands.push_back(std::move(command));
    }
    uv_async_send(&wake);
  }

  void run_commands() {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard<std::mutex> lock(commands_mutex);
      now.swap(commands);
    }
    for (auto& c : now)
      c();
  }

  // -- UDP ----------------------------------------------------------------------------

  void open_udp(unique_fd fd, const net::endpoint& at) {
    auto* l = new udp_listener;
    l->server = this;
    l->at = at;
    uv_udp_init_ex(&loop, &l->handle, AF_UNSPEC | UV_UDP_RECVMMSG);
    l->handle.data = l;
    if (int rc = uv_udp_open(&l->handle, fd.get()); rc != 0) {
      spdlog::error("dns: UDP {}: {}", at.to_string(), uv_strerror(rc));
      close_and_delete(l);
      return;
    }
    (void)fd.release(); // the handle owns it now
    udp[at] = l;
    uv_udp_recv_start(
      &l->handle,
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* l = static_cast<udp_listener*>(h->data);
        *buf = uv_buf_init(l->buffer.get(), static_cast<unsigned>(udp_slot * udp_slots));
      },
      [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
        auto* l = static_cast<udp_listener*>(h->data);
        if (n > 0 && from != nullptr && (flags & UV_UDP_PARTIAL) == 0)
          l->server->on_datagram(l, reinterpret_cast<const std::uint8_t*>(buf->base),
                                 static_cast<std::size_t>(n), from);
        if ((flags & UV_UDP_MMSG_CHUNK) == 0)
          l->server->flush(l); // the end of a batch, or a lone datagram
      });
  }

  void on_datagram(udp_listener* l, const std::uint8_t* data, std::size_t size,
                   const sockaddr* from) {
    handled h = answers.answer(snapshot(), data, size, transport::udp, can_forward());
    if (h.result == outcome::forward) {
      client to;
      to.via = transport::udp;
      to.listener = l->at;
      to.peer_len = copy_peer(from, to.peer);
      start_forward(to, std::vector<std::uint8_t>(data, data + size));
      return;
    }
    count(h.result);
    if (h.reply.empty())
      return;
    datagram_out d;
    d.peer_len = copy_peer(from, d.peer);
    d.bytes = std::move(h.reply);
    l->batch.push_back(std::move(d));
  }

  void flush(udp_listener* l) {
    if (l->batch.empty())
      return;
    send_headers.assign(l->batch.size(), mmsghdr{});
    send_iovecs.resize(l->batch.size());
    for (std::size_t i = 0; i < l->batch.size(); ++i) {
      auto& d = l->batch[i];
      send_iovecs[i] = iovec{d.bytes.data(), d.bytes.size()};
      auto& m = send_headers[i].msg_hdr;
      m.msg_name = &d.peer;
      m.msg_namelen = d.peer_len;
      m.msg_iov = &send_iovecs[i];
      m.msg_iovlen = 1;
    }
    uv_os_fd_t fd = -1;
    uv_fileno(as_handle(&l->handle), &fd);
    std::size_t sent = 0;
    while (sent < l->batch.size()) {
      int n = ::sendmmsg(fd, send_headers.data() + sent,
                         static_cast<unsigned>(l->batch.size() - sent), 0);
      if (n <= 0)
        break; // a full send buffer: those answers are lost, as UDP allows
      sent += static_cast<std::size_t>(n);
    }
    l->batch.clear();
  }

  void send_udp(const client& to, std::vector<std::uint8_t> bytes) {
    auto it = udp.find(to.listener);
    if (it == udp.end())
      return; // the listener went away meanwhile
    datagram_out d;
    d.peer = to.peer;
    d.peer_len = to.peer_len;
    d.bytes = std::move(bytes);
    it->second->batch.push_back(std::move(d));
    flush(it->second);
  }

  // -- TCP ----------------------------------------------------------------------------

  void open_tcp(unique_fd fd, const net::endpoint& at) {
    auto* l = new tcp_listener;
    l->server = this;
    l->at = at;
    uv_tcp_init(&loop, &l->handle);
    l->handle.data = l;
    int rc = uv_tcp_open(&l->handle, fd.get());
    if (rc == 0) {
      (void)fd.release();
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&l->handle), 128,
                     [](uv_stream_t* s, int status) {
                       auto* l = static_cast<tcp_listener*>(s->data);
                       if (status == 0)
                         l->server->accept(l);
                     });
    }
    if (rc != 0) {
      spdlog::error("dns: TCP {}: {}", at.to_string(), uv_strerror(rc));
      close_and_delete(l);
      return;
    }
    tcp[at] = l;
  }

  void accept(tcp_listener* l) {
    auto* c = new tcp_connection;
    c->server = this;
    uv_tcp_init(&loop, &c->handle);
    uv_timer_init(&loop, &c->idle);
    c->handle.data = c;
    c->idle.data = c;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&l->handle),
                  reinterpret_cast<uv_stream_t*>(&c->handle))
          != 0
        || connections.size() >= options.max_tcp_connections) {
      close(c);
      return;
    }
    c->id = next_connection++;
    connections[c->id] = c;
    touch(c);
    uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->handle),
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* c = static_cast<tcp_connection*>(h->data);
        // Read straight into the connection's buffer, one frame's worth at most.
        std::size_t used = c->in.size();
        c->in.resize(used + tcp_read_chunk);
        *buf = uv_buf_init(reinterpret_cast<char*>(c->in.data() + used), tcp_read_chunk);
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        auto* c = static_cast<tcp_connection*>(s->data);
        // The allocation grew `in` by a chunk; keep what arrived of it.
        std::size_t arrived = n > 0 ? static_cast<std::size_t>(n) : 0;
        c->in.resize(c->in.size() - tcp_read_chunk + arrived);
        if (n < 0) {
          c->server->close(c);
          return;
        }
        c->server->on_stream(c);
      });
  }

  void touch(tcp_connection* c) {
    uv_timer_start(&c->idle, [](uv_timer_t* t) {
      auto* c = static_cast<tcp_connection*>(t->data);
      c->server->close(c);
    }, static_cast<std::uint64_t>(options.tcp_idle_timeout.count()), 0);
  }

  void on_stream(tcp_connection* c) {
    touch(c);
    std::size_t at = 0;
    while (c->in.size() - at >= 2) {
      std::size_t length = (static_cast<std::size_t>(c->in[at]) << 8) | c->in[at + 1];
      if (c->in.size() - at - 2 < length)
        break;
      const std::uint8_t* query = c->in.data() + at + 2;
      at += 2 + length;
      handled h = answers.answer(snapshot(), query, length, transport::tcp, can_forward());
      if (h.result == outcome::forward) {
        client to;
        to.via = transport::tcp;
        to.connection = c->id;
        start_forward(to, std::vector<std::uint8_t>(query, query + length));
        continue;
      }
      count(h.result);
      if (h.reply.empty()) {
        close(c); // RFC 7766: a message not worth answering ends the stream
        return;
      }
      write_tcp(c, std::move(h.reply));
      if (c->closing)
        return;
    }
    c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(at));
    if (c->in.size() > tcp_frame_max)
      close(c);
  }

  void write_tcp(tcp_connection* c, std::vector<std::uint8_t> message) {
    if (c->closing)
      return;
    auto* w = new tcp_write;
    w->connection = c;
    w->bytes.reserve(message.size() + 2);
    w->bytes.push_back(static_cast<std::uint8_t>(message.size() >> 8));
    w->bytes.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
    w->bytes.insert(w->bytes.end(), message.begin(), message.end());
    w->req.data = w;
    c->unwritten += w->bytes.size();
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()),
                               static_cast<unsigned>(w->bytes.size()));
    int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->handle), &buf, 1,
                      [](uv_write_t* req, int) {
                        auto* w = static_cast<tcp_write*>(req->data);
                        w->connection->unwritten -= w->bytes.size();
                        delete w;
                      });
    if (rc != 0) {
      c->unwritten -= w->bytes.size();
      delete w;
      close(c);
    } else if (c->unwritten > max_tcp_unwritten) {
      close(c); // a client that asks and never reads
    }
  }

  void close(tcp_connection* c) {
    if (c->closing)
      return;
    c->closing = true;
    connections.erase(c->id);
    auto closed = [](uv_handle_t* h) {
      auto* c = static_cast<tcp_connection*>(h->data);
      if (--c->handles_open == 0)
        delete c;
    };
    uv_close(as_handle(&c->handle), closed);
    uv_close(as_handle(&c->idle), closed);
  }

  // -- forwarding ---------------------------------------------------------------------

  void start_forward(const client& to, std::vector<std::uint8_t> query) {
    forwarder->forward(std::move(query), [this, to](const std::vector<std::uint8_t>& query,
                                                    const std::uint8_t* answer, std::size_t size) {
      handled h = net::dns::relay_upstream_answer(query.data(), query.size(), answer, size, to.via);
      count(h.result);
      if (h.reply.empty())
        return;
      if (to.via == transport::udp)
        send_udp(to, std::move(h.reply));
      else if (auto c = connections.find(to.connection); c != connections.end())
        write_tcp(c->second, std::move(h.reply));
    });
  }

  // -- listeners ----------------------------------------------------------------------

  // By value: callers pass a map's own key, which the first erase frees.
  void close_listener(net::endpoint at) {
    if (auto it = udp.find(at); it != udp.end()) {
      udp_listener* l = it->second;
      udp.erase(it);
      close_and_delete(l);
    }
    if (auto it = tcp.find(at); it != tcp.end()) {
      tcp_listener* l = it->second;
      tcp.erase(it);
      close_and_delete(l);
    }
  }

  void stop() {
    while (!udp.empty())
      close_listener(udp.begin()->first);
    while (!tcp.empty())
      close_listener(tcp.begin()->first);
    while (!connections.empty())
      close(connections.begin()->second);
    forwarder->close();
    uv_close(as_handle(&wake), nullptr);
  }
};

result<std::unique_ptr<dns_server>> dns_server::start(dns_server_options options,
                                                     net::dns::zone_pointer first) {
  auto self = std::make_unique<impl>();
  self->options = std::move(options);
  self->zone = std::move(first);
  if (int rc = uv_loop_init(&self->loop); rc != 0)
    return make_error(std::string("dns responder: uv_loop_init: ") + uv_strerror(rc));
  uv_async_init(&self->loop, &self->wake, [](uv_async_t* a) {
    static_cast<impl*>(a->data)->run_commands();
  });
  self->wake.data = self.get();
  self->forwarder = std::make_unique<dns_forwarder>(&self->loop, self->options.forwarding);
  impl* raw = self.get();
  self->thread = std::thread([raw] {
    uv_run(&raw->loop, UV_RUN_DEFAULT);
    uv_loop_close(&raw->loop);
  });
  return std::unique_ptr<dns_server>(new dns_server(std::move(self)));
}

dns_server::dns_server(std::unique_ptr<impl> self) : self_(std::move(self)) {}

dns_server::~dns_server() {
  impl* raw = self_.get();
  raw->post([raw] { raw->stop(); });
  raw->thread.join();
}

void dns_server::publish(net::dns::zone_pointer zone) {
  std::lock_guard<std::mutex> lock(self_->zone_mutex);
  self_->zone = std::move(zone);
}

net::dns::zone_pointer dns_server::current_zone() const {
  return self_->snapshot();
}

result<net::endpoint> dns_server::listen(const net::endpoint& at, bool freebind) {
  auto pair = bind_dns_sockets(at, freebind);
  if (!pair)
    return pair.err();
  net::endpoint bound = pair->at;
  auto shared = std::make_shared<bound_pair>(std::move(*pair));
  impl* raw = self_.get();
  raw->post([raw, shared] {
    raw->open_udp(std::move(shared->udp), shared->at);
    raw->open_tcp(std::move(shared->tcp), shared->at);
  });
  return bound;
}

void dns_server::stop_listening(const net::endpoint& at) {
  impl* raw = self_.get();
  auto closed = std::make_shared<std::promise<void>>();
  auto done = closed->get_future();
  // libuv closes the descriptors inside uv_close; only the callbacks wait.
  raw->post([raw, at, closed] {
    raw->close_listener(at);
    closed->set_value();
  });
  done.wait();
}

} // namespace overlayd::platform
