// confine: the first step of a detached actor that touches the network. Its
// thread moves into the node's namespace (host_access::netns) before it
// makes any link, socket or rule; an actor that cannot enter quits with the
// reason instead of working on the machine's own namespace.
#pragma once

#include <spdlog/spdlog.h>

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include <string>

#include "platform/netns.hpp"

namespace overlayd {

template <class Self>
bool confine(Self* self, const std::string& netns) {
  if (netns.empty())
    return true;
  auto entered = platform::enter_netns_for_good(netns);
  if (entered)
    return true;
  spdlog::error("{}: {}", self->name(), entered.error_message());
  self->quit(caf::make_error(caf::sec::runtime_error, entered.error_message()));
  return false;
}

} // namespace overlayd
