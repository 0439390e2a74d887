// vm_attach: the two attach kinds without a Linux network namespace
// (mechanics.md 7.9-7.10): a host-shared container gets a node-slice /32
// aliased on the cluster device; a VM guest gets an address, its own key
// pair and the node as its one WireGuard peer, and is registered as a peer
// of the cluster device.
#pragma once

#include "actors/attachments_state.hpp"

namespace overlayd {

void attach_host_shared(attachments_pointer self, const msg::attach_container& request,
                        const attach_context& context, const std::string& id,
                        attach_promise rp);
void detach_host_shared(attachments_pointer self, const detach_context& context,
                        const std::string& id, detach_promise rp);

void attach_guest(attachments_pointer self, const msg::attach_container& request,
                  const attach_context& context, const std::string& id, attach_promise rp);
void detach_guest(attachments_pointer self, const detach_context& context, const std::string& id,
                  detach_promise rp);

} // namespace overlayd
