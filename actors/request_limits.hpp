// request_limits: how long the names a client gives may be. Every name ends
// up in interface names, state files, firewall comments and log lines; a
// megabyte service name has no business in any of them (issue 13). 253
// bytes is the longest DNS name, the longest any of them needs to be.
#pragma once

#include "messages/requests.hpp"
#include "net/base/result.hpp"

namespace overlayd {

inline constexpr std::size_t max_name_bytes = 253;

// An invalid_argument error naming the field and its length, e.g.
// "service name too long (8388608 bytes, at most 253)", or saying that it
// holds a control character (a newline would forge a log line).
result<void> check_name_lengths(const msg::request& request);

} // namespace overlayd
