// orphan_veth_sweep: deletes the container veths of the caller's network
// namespace whose container process is gone (mechanics.md 4.3; run at the
// start of every attach). Best effort: a failure is logged and the sweep
// goes on, so it never fails an attach.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace overlayd::platform {

// Whether /proc/<pid> exists (in the daemon's pid namespace).
bool process_exists(std::uint32_t pid);

// The names it deleted (a pair's second end, already gone with the first,
// counts as deleted).
std::vector<std::string> sweep_orphan_veths();

// The same with another liveness test (tests stand in for /proc).
std::vector<std::string> sweep_orphan_veths(const std::function<bool(std::uint32_t)>& pid_alive);

} // namespace overlayd::platform
