// service_overlay: the bridge a service's containers attach to
// (mechanics.md 7.4 Auto/Isolated and Shared, 7.5, 7.6): a subnet from the
// registry, a bridge with the subnet's first address as gateway, a pool for
// container addresses, and the subnet routed to this node on the cluster
// device.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "actors/dedicated_overlay.hpp"

namespace overlayd {

// The registry key of the node-wide shared bridge.
inline constexpr const char* shared_bridge_key = "__zlayer_shared_bridge__";

// Answers service_overlay_info (mode auto, also for Isolated, or shared).
void set_up_service_bridge(coordinator_pointer self, const std::string& service,
                           msg::overlay_mode mode, response_promise rp);

// The service's per-service bridge, made if missing (idempotent). With
// `route_on_cluster` its subnet is routed to this node on the cluster
// device, as Auto does; a Dedicated service routes it on its own device.
void ensure_service_bridge(coordinator_pointer self, const std::string& service,
                           bool route_on_cluster,
                           std::function<void(result<service_bridge>)> done);

// mechanics 7.5 steps 2-5; never fails.
void take_down_service_bridge(coordinator_pointer self, const std::string& service);

// The global teardown's host part (mechanics 7.3 steps 2 and 5): every
// route, veth and bridge overlayd made goes, forwarding is restored, and the
// records of those bridges are dropped with them (the original kept them,
// then answered names of bridges that no longer existed). Then `done`.
void revert_host_plumbing(coordinator_pointer self, std::function<void()> done);

// PruneOrphanBridges (mechanics 7.16): answers pruned_bridges, never an error.
void prune_orphan_bridges(coordinator_pointer self, const std::vector<std::string>& live,
                          response_promise rp);

// AllocateIp: the service's bridge pool, else the node slice.
void allocate_service_address(coordinator_pointer self, const std::string& service,
                              response_promise rp);

// The bridge a container of `service` attaches to, or the spec's error.
result<service_bridge> bridge_of(const coordinator_state& st,
                                                    const std::string& service);

} // namespace overlayd
