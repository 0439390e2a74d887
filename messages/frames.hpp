// The envelope of every message on the socket (ipc_contract.md section 3),
// tag "frame".
#pragma once

#include <cstdint>
#include <variant>

#include "messages/requests.hpp"
#include "messages/responses.hpp"

namespace overlayd::msg {

struct request_frame {
  static constexpr const char* tag = "request";
  std::uint64_t id = 0;
  msg::request request;
};

struct response_frame {
  static constexpr const char* tag = "response";
  std::uint64_t id = 0;
  msg::response response;
};

struct event_frame {
  static constexpr const char* tag = "event";
  msg::event event; // flattened: both tags sit in one object
};

using frame = std::variant<request_frame, response_frame, event_frame>;

} // namespace overlayd::msg
