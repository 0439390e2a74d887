// client_connection: a blocking client of the overlayd socket, as the main
// daemon's OverlaydClient (ipc_contract.md 1.7). Used by overlayctl, the load
// generator and the tests.
#pragma once

#include <cstdint>
#include <string>

#include "messages/codec.hpp"
#include "net/base/result.hpp"

namespace overlayd::app {

class client_connection {
public:
  client_connection() = default;
  ~client_connection();
  client_connection(client_connection&& other) noexcept;
  client_connection& operator=(client_connection&& other) noexcept;
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  static result<client_connection> connect(const std::string& socket_path);

  // Sends the request with the next id and waits for the response carrying
  // that id; responses with other ids and events are skipped.
  result<msg::response> call(const msg::request& request,
                             msg::body_codec codec = msg::body_codec::json);

  // Lower level, for tests and the load generator.
  result<void> send_raw(const std::string& bytes);
  result<void> send_request(std::uint64_t id, const msg::request& request, msg::body_codec codec);
  // The next frame body; an error when the daemon closed the connection.
  result<std::string> read_body();
  result<msg::response_frame> read_response();

  int fd() const noexcept { return fd_; }
  std::uint64_t next_id() const noexcept { return next_id_; }

private:
  explicit client_connection(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::uint64_t next_id_ = 1;
  msg::frame_reader reader_;
};

} // namespace overlayd::app
