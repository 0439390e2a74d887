// device_metrics: a WireGuard device's counters for /metrics, per device
// and per peer (labels `device` = interface, `peer` = base64 public key).
#pragma once

#include <memory>

#include "net/metrics/registry.hpp"

namespace overlayd {

namespace platform {
class wg_device;
}

// The collector reads the device while it exists and drops out after.
void collect_device_metrics(net::metrics::registry& registry,
                            const std::shared_ptr<platform::wg_device>& device);

} // namespace overlayd
