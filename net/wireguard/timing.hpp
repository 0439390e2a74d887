// timing: WireGuard's protocol constants (whitepaper 6.1 and 6.4). The
// device reads them from a value, not from globals, so that tests may run
// key rotation in seconds instead of minutes; production uses the defaults.
#pragma once

#include <chrono>
#include <cstdint>

namespace overlayd::net::wg {

struct timing {
  std::chrono::milliseconds rekey_after_time{120'000};
  std::chrono::milliseconds reject_after_time{180'000};
  std::chrono::milliseconds rekey_attempt_time{90'000};
  std::chrono::milliseconds rekey_timeout{5'000};
  std::chrono::milliseconds keepalive_timeout{10'000};
  // Extra random delay, up to this, before each handshake retry (whitepaper 6.1).
  std::chrono::milliseconds rekey_timeout_jitter{333};
  std::uint64_t rekey_after_messages = std::uint64_t{1} << 60;

  // After this long without a new session every key is zeroed (3 x reject).
  std::chrono::milliseconds zero_keys_after() const { return 3 * reject_after_time; }
};

} // namespace overlayd::net::wg
