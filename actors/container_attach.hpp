// container_attach: plugging a Linux container (by pid) into its service's
// bridge and, on request, the global overlay (mechanics.md 7.7-7.8). An
// attach either fully happens or leaves nothing behind (DECISIONS 10).
#pragma once

#include <cstdint>

#include "actors/attachments_state.hpp"

namespace overlayd {

// Answers attach_result (ip = the eth0 address) or the spec's error.
void attach_linux_container(attachments_pointer self, const msg::attach_container& request,
                            const attach_context& context, std::uint32_t pid, attach_promise rp);

// Always done: veths deleted, addresses released, fence down; an ephemeral
// container's service is named for the coordinator's last-leaver rule.
void detach_linux_container(attachments_pointer self, const detach_context& context,
                            std::uint32_t pid, detach_promise rp);

} // namespace overlayd
