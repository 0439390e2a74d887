// Lets the contract types travel in CAF messages. The actor system is
// in-process only (nothing is sent to remote nodes), and the contract already
// has its own wire codecs, so these types are passed as they are rather than
// given CAF inspectors (DESIGN.md's add_message_type route would need
// inspect() for std::variant, which CAF 0.17 lacks).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>

#include "messages/requests.hpp"
#include "messages/responses.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::msg::request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::msg::response)
