#include "platform/metrics_http_server.hpp"

#include <uv.h>

#include <algorithm>
#include <thread>

namespace overlayd::platform {

namespace {

constexpr std::size_t max_head_bytes = 8 * 1024;
constexpr std::uint64_t request_timeout_ms = 10'000;

// One scrape connection: its request head is read, answered, closed.
struct http_connection {
  uv_tcp_t tcp; // first member: the handle's address is the connection's
  uv_timer_t deadline;
  metrics_http_server::impl* server = nullptr;
  std::string head;
  std::string answer;
  uv_write_t write{};
  int handles_open = 2;
  bool answered = false;
};

} // namespace

struct metrics_http_server::impl {
  uv_loop_t loop{};
  uv_tcp_t listener{};
  uv_async_t stop_signal{};
  std::function<std::string()> render;
  std::uint16_t port = 0;
  std::thread thread;

  void close(http_connection* c) {
    auto closed = [](uv_handle_t* h) {
      auto* c = static_cast<http_connection*>(h->data);
      if (--c->handles_open == 0)
        delete c;
    };
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp)))
      uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), closed);
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->deadline)))
      uv_close(reinterpret_cast<uv_handle_t*>(&c->deadline), closed);
  }

  void on_read(http_connection* c, ssize_t n, const uv_buf_t* buf) {
    if (n < 0) {
      delete[] buf->base;
      close(c);
      return;
    }
    c->head.append(buf->base, static_cast<std::size_t>(n));
    delete[] buf->base;
    if (c->answered)
      return;
    bool complete = c->head.find("\r\n\r\n") != std::string::npos
                    || c->head.find("\n\n") != std::string::npos;
    if (!complete && c->head.size() <= max_head_bytes)
      return;
    http_answer a;
    if (!complete) {
      a = http_answer{431, "Request Header Fields Too Large", "text/plain", "request too large\n"};
    } else {
      a = answer_http_request(c->head, render);
    }
    c->answered = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    c->answer = serialize(a);
    uv_buf_t out = uv_buf_init(c->answer.data(), static_cast<unsigned>(c->answer.size()));
    c->write.data = c;
    if (uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &out, 1,
                 [](uv_write_t* w, int) {
                   auto* c = static_cast<http_connection*>(w->data);
                   c->server->close(c);
                 })
        != 0)
      close(c);
  }

  void on_connection() {
    auto* c = new http_connection{};
    c->server = this;
    uv_tcp_init(&loop, &c->tcp);
    uv_timer_init(&loop, &c->deadline);
    c->tcp.data = c;
    c->deadline.data = c;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener), reinterpret_cast<uv_stream_t*>(&c->tcp))
        != 0) {
      close(c);
      return;
    }
    uv_timer_start(
      &c->deadline,
      [](uv_timer_t* t) {
        auto* c = static_cast<http_connection*>(t->data);
        if (!c->answered)
          c->server->close(c);
      },
      request_timeout_ms, 0);
    uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        std::size_t size = std::min<std::size_t>(suggested, 4096);
        *buf = uv_buf_init(new char[size], static_cast<unsigned>(size));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        auto* c = static_cast<http_connection*>(s->data);
        c->server->on_read(c, n, buf);
      });
  }

  void shut_down() {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_signal), nullptr);
    uv_walk(
      &loop,
      [](uv_handle_t* h, void* arg) {
        auto* self = static_cast<impl*>(arg);
        if (h->type == UV_TCP && !uv_is_closing(h)
            && h != reinterpret_cast<uv_handle_t*>(&self->listener))
          self->close(static_cast<http_connection*>(h->data));
      },
      this);
  }
};

http_answer answer_http_request(const std::string& head,
                                const std::function<std::string()>& render) {
  auto line_end = head.find_first_of("\r\n");
  std::string line = head.substr(0, line_end);
  auto first_space = line.find(' ');
  auto second_space = line.find(' ', first_space == std::string::npos ? 0 : first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos)
    return {400, "Bad Request", "text/plain", "bad request line\n"};
  std::string method = line.substr(0, first_space);
  std::string target = line.substr(first_space + 1, second_space - first_space - 1);
  std::string path = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD")
    return {405, "Method Not Allowed", "text/plain", "only GET and HEAD\n"};
  if (path != "/metrics")
    return {404, "Not Found", "text/plain", "metrics are at /metrics\n"};
  http_answer a;
  a.body = render();
  a.head_only = method == "HEAD";
  return a;
}

std::string serialize(const http_answer& a) {
  std::string out = "HTTP/1.1 " + std::to_string(a.status) + " " + a.reason + "\r\n";
  out += "Content-Type: " + a.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(a.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!a.head_only)
    out += a.body;
  return out;
}

metrics_http_server::metrics_http_server(std::unique_ptr<impl> self) : self_(std::move(self)) {}

metrics_http_server::~metrics_http_server() {
  uv_async_send(&self_->stop_signal);
  self_->thread.join();
}

result<std::unique_ptr<metrics_http_server>>
metrics_http_server::start(const net::endpoint& at, std::function<std::string()> render) {
  auto self = std::make_unique<impl>();
  self->render = std::move(render);
  uv_loop_init(&self->loop);
  uv_tcp_init(&self->loop, &self->listener);
  self->listener.data = self.get();
  uv_async_init(&self->loop, &self->stop_signal,
                [](uv_async_t* a) { static_cast<impl*>(a->data)->shut_down(); });
  self->stop_signal.data = self.get();
  sockaddr_storage addr{};
  std::string host = at.address.to_string();
  int rc = uv_ip4_addr(host.c_str(), at.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0)
    rc = uv_ip6_addr(host.c_str(), at.port, reinterpret_cast<sockaddr_in6*>(&addr));
  if (rc == 0)
    rc = uv_tcp_bind(&self->listener, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&self->listener), 64,
                   [](uv_stream_t* s, int status) {
                     if (status == 0)
                       static_cast<impl*>(s->data)->on_connection();
                   });
  if (rc != 0) {
    self->shut_down();
    uv_run(&self->loop, UV_RUN_DEFAULT);
    uv_loop_close(&self->loop);
    return make_error("metrics listen(" + at.to_string() + "): " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&self->listener, reinterpret_cast<sockaddr*>(&bound), &len);
  self->port = ntohs(bound.ss_family == AF_INET
                       ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                       : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  impl* raw = self.get();
  self->thread = std::thread([raw] {
    uv_run(&raw->loop, UV_RUN_DEFAULT);
    uv_loop_close(&raw->loop);
  });
  return std::unique_ptr<metrics_http_server>(new metrics_http_server(std::move(self)));
}

std::uint16_t metrics_http_server::port() const noexcept {
  return self_->port;
}

} // namespace overlayd::platform
