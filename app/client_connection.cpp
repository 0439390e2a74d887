#include "app/client_connection.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace overlayd::app {

client_connection::~client_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

client_connection::client_connection(client_connection&& other) noexcept
  : fd_(other.fd_), next_id_(other.next_id_), reader_(std::move(other.reader_)) {
  other.fd_ = -1;
}

client_connection& client_connection::operator=(client_connection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.fd_;
    next_id_ = other.next_id_;
    reader_ = std::move(other.reader_);
    other.fd_ = -1;
  }
  return *this;
}

result<client_connection> client_connection::connect(const std::string& socket_path) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof(addr.sun_path))
    return make_error("connect(" + socket_path + "): path too long");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return make_error(std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return make_error("connect(" + socket_path + "): " + std::strerror(err));
  }
  return client_connection(fd);
}

result<void> client_connection::send_raw(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_error(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

result<void> client_connection::send_request(std::uint64_t id, const msg::request& request,
                                             msg::body_codec codec) {
  std::string bytes;
  msg::append_frame(bytes, msg::encode_request(id, request, codec));
  return send_raw(bytes);
}

result<std::string> client_connection::read_body() {
  std::string body;
  std::uint32_t declared = 0;
  char buffer[64 * 1024];
  for (;;) {
    auto status = reader_.next(body, declared);
    if (status == msg::frame_status::frame)
      return body;
    if (status == msg::frame_status::too_large)
      return make_error("daemon sent a frame of " + std::to_string(declared) + " bytes");
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n == 0)
      return make_error("the daemon closed the connection");
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_error(std::string("recv: ") + std::strerror(errno));
    }
    reader_.feed(buffer, static_cast<std::size_t>(n));
  }
}

result<msg::response_frame> client_connection::read_response() {
  for (;;) {
    auto body = read_body();
    if (!body)
      return body.err();
    auto decoded = msg::decode_frame(*body);
    if (!decoded.decoded)
      return make_error(decoded.error);
    if (auto* response = std::get_if<msg::response_frame>(&*decoded.decoded))
      return std::move(*response);
    // Events carry nothing a caller waits for (contract 1.7).
  }
}

result<msg::response> client_connection::call(const msg::request& request,
                                              msg::body_codec codec) {
  std::uint64_t id = next_id_++;
  auto sent = send_request(id, request, codec);
  if (!sent)
    return sent.err();
  for (;;) {
    auto response = read_response();
    if (!response)
      return response.err();
    if (response->id == id)
      return std::move(response->response);
  }
}

} // namespace overlayd::app
