#include "platform/dns_forwarder.hpp"

#include "net/dns/query_handler.hpp"
#include "platform/dns_sockets.hpp"

namespace overlayd::platform {

struct dns_forwarder::pending {
  uv_timer_t timer{}; // first member: the timer's address is the entry's
  dns_forwarder* forwarder = nullptr;
  std::vector<std::uint8_t> query;
  dns_forwarder::on_answer done;
  std::uint16_t id = 0;
  unsigned attempt = 0;
  net::endpoint asked;
};

namespace {

constexpr std::size_t max_answer = 64 * 1024;

void delete_pending(uv_handle_t* h) {
  delete static_cast<dns_forwarder::pending*>(h->data);
}

} // namespace

dns_forwarder::dns_forwarder(uv_loop_t* loop, dns_forwarding_policy policy)
  : loop_(loop), policy_(std::move(policy)) {
  if (policy_.upstreams.empty())
    return;
  open_socket(v4_, v4_open_, false);
  open_socket(v6_, v6_open_, true);
}

void dns_forwarder::open_socket(uv_udp_t& socket, bool& open, bool v6) {
  auto fd = unbound_udp_socket(v6);
  if (!fd)
    return; // no such family here: its upstreams time out
  uv_udp_init(loop_, &socket);
  socket.data = this;
  if (uv_udp_open(&socket, fd->get()) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&socket), nullptr);
    return;
  }
  (void)fd->release(); // the handle owns it now
  open = true;
  uv_udp_recv_start(
    &socket,
    [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
      static thread_local char space[max_answer];
      *buf = uv_buf_init(space, sizeof space);
    },
    [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
      if (n > 0 && from != nullptr)
        static_cast<dns_forwarder*>(h->data)->on_datagram(
          reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(n),
          from_sockaddr(from));
    });
}

void dns_forwarder::forward(std::vector<std::uint8_t> query, on_answer done) {
  if (policy_.upstreams.empty() || pending_.size() >= policy_.max_pending) {
    done(query, nullptr, 0);
    return;
  }
  auto* p = new pending;
  p->forwarder = this;
  p->query = std::move(query);
  p->done = std::move(done);
  do
    p->id = static_cast<std::uint16_t>(random_());
  while (pending_.count(p->id) != 0);
  pending_[p->id] = p;
  uv_timer_init(loop_, &p->timer);
  p->timer.data = p;
  send_attempt(p);
}

void dns_forwarder::send_attempt(pending* p) {
  if (p->attempt >= policy_.attempts) {
    complete(p, nullptr, 0);
    return;
  }
  p->asked = policy_.upstreams[p->attempt % policy_.upstreams.size()];
  ++p->attempt;
  uv_udp_t* socket = p->asked.address.is_v4() ? (v4_open_ ? &v4_ : nullptr)
                                              : (v6_open_ ? &v6_ : nullptr);
  if (socket != nullptr) {
    auto wire = net::dns::with_id(p->query.data(), p->query.size(), p->id);
    sockaddr_storage addr{};
    to_sockaddr(p->asked, addr);
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(wire.data()),
                               static_cast<unsigned>(wire.size()));
    // A failed send is a lost datagram: the timer tries the next upstream.
    (void)uv_udp_try_send(socket, &buf, 1, reinterpret_cast<sockaddr*>(&addr));
  }
  uv_timer_start(
    &p->timer,
    [](uv_timer_t* t) {
      auto* p = static_cast<pending*>(t->data);
      p->forwarder->send_attempt(p);
    },
    static_cast<std::uint64_t>(policy_.timeout.count()), 0);
}

void dns_forwarder::on_datagram(const std::uint8_t* data, std::size_t size,
                                const net::endpoint& from) {
  auto it = pending_.find(net::dns::message_id(data, size));
  if (it == pending_.end() || !(it->second->asked == from))
    return; // late, or not from the upstream asked (spoofed): ignored
  complete(it->second, data, size);
}

void dns_forwarder::complete(pending* p, const std::uint8_t* answer, std::size_t size) {
  pending_.erase(p->id);
  p->done(p->query, answer, size);
  uv_close(reinterpret_cast<uv_handle_t*>(&p->timer), delete_pending);
}

void dns_forwarder::close() {
  for (auto& [id, p] : pending_)
    uv_close(reinterpret_cast<uv_handle_t*>(&p->timer), delete_pending);
  pending_.clear();
  if (v4_open_)
    uv_close(reinterpret_cast<uv_handle_t*>(&v4_), nullptr);
  if (v6_open_)
    uv_close(reinterpret_cast<uv_handle_t*>(&v6_), nullptr);
  v4_open_ = v6_open_ = false;
}

} // namespace overlayd::platform
