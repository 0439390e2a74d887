// vm_attach: the two attach kinds without a Linux network namespace
// (mechanics.md 7.9-7.10): a host-shared container gets a node-slice /32
// aliased on the cluster device; a VM guest gets an address, its own key
// pair and the node as its one WireGuard peer, and is registered as a peer
// of the cluster device.
#pragma once

#include "actors/dedicated_overlay.hpp"

namespace overlayd {

void attach_host_shared(coordinator_pointer self, const msg::attach_container& request,
                        const std::string& id, response_promise rp);
void detach_host_shared(coordinator_pointer self, const std::string& id, response_promise rp);

void attach_guest(coordinator_pointer self, const msg::attach_container& request,
                  const std::string& id, response_promise rp);
void detach_guest(coordinator_pointer self, const std::string& id, response_promise rp);

} // namespace overlayd
