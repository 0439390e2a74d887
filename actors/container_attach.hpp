// container_attach: plugging a Linux container (by pid) into its service's
// bridge and, on request, the global overlay (mechanics.md 7.7-7.8). An
// attach either fully happens or leaves nothing behind (DECISIONS 10).
#pragma once

#include <cstdint>

#include "actors/dedicated_overlay.hpp"

namespace overlayd {

// Answers attach_result (ip = the eth0 address) or the spec's error.
void attach_linux_container(coordinator_pointer self, const msg::attach_container& request,
                            std::uint32_t pid, response_promise rp);

// Always answers ok: veths deleted, addresses released, and an ephemeral
// last leaver tears its service down.
void detach_linux_container(coordinator_pointer self, std::uint32_t pid, response_promise rp);

} // namespace overlayd
