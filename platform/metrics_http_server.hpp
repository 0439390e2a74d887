// metrics_http_server: serves GET /metrics over HTTP/1.1 for Prometheus, on
// a libuv loop of its own thread. Hand-written: a scrape endpoint needs one
// request line and one response, and libuv is linked already; a general
// HTTP library would be the larger attack surface. Requests are bounded
// (8 KiB of headers, 10 s to send them), answered, and the connection is
// closed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

class metrics_http_server {
public:
  // Binds `at` and serves `render()` (called on the server's thread, once
  // per scrape) at /metrics.
  static result<std::unique_ptr<metrics_http_server>> start(const net::endpoint& at,
                                                             std::function<std::string()> render);
  ~metrics_http_server(); // stops and joins the thread

  // The port bound (useful when `at` asked for port 0).
  std::uint16_t port() const noexcept;

  struct impl;

private:
  explicit metrics_http_server(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

// What an HTTP request's head asks for: the answer's status line, type and
// body, given the rendered metrics. Pure, for tests.
struct http_answer {
  int status = 200;
  std::string reason = "OK";
  std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
  std::string body;
  bool head_only = false;
};
http_answer answer_http_request(const std::string& head, const std::function<std::string()>& render);

std::string serialize(const http_answer& a);

} // namespace overlayd::platform
