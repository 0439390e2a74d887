#include "net/overlay_mtu.hpp"

#include <algorithm>

namespace overlayd::net {

unsigned overlay_mtu_for(unsigned underlay_mtu, ip_address::family overlay_family) {
  const unsigned minimum = overlay_family == ip_address::family::v6 ? 1280u : 576u;
  const unsigned fits = underlay_mtu > wireguard_overhead ? underlay_mtu - wireguard_overhead : 0u;
  return std::max(fits, minimum);
}

} // namespace overlayd::net
