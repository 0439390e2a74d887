// service_bridge: a bridge a service's containers attach to, as the
// coordinator records it and the attachments actor plugs veths into it.
#pragma once

#include <string>

#include "net/base/cidr.hpp"
#include "net/base/ip_address.hpp"

namespace overlayd {

struct service_bridge {
  std::string name;
  net::cidr subnet;
  net::ip_address gateway;
};

} // namespace overlayd
