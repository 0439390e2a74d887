// replies: the answers the request handlers give, with the error texts of
// the original's OverlaydError Display (ipc_contract.md).
#pragma once

#include <string>

#include "messages/responses.hpp"

namespace overlayd {

inline msg::response ok() {
  return msg::ok_result{};
}

// OverlaydError::Other: the message as it is.
inline msg::response fail(std::string message) {
  return msg::error_result{std::move(message)};
}

// OverlaydError::Overlay.
inline msg::response engine_error(const std::string& message) {
  return fail("overlay engine error: " + message);
}

} // namespace overlayd
