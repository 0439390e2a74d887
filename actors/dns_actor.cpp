#include "actors/dns_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace overlayd {

dns_actor::behavior_type dns_records(dns_actor::stateful_pointer<dns_state> self) {
  return {
    [self](const dns_register& r) {
      spdlog::debug("dns: {} -> {}", r.name, r.ip.to_string());
      self->state.records[r.name] = r.ip;
    },
    [self](const dns_unregister& r) {
      spdlog::debug("dns: {} removed", r.name);
      self->state.records.erase(r.name);
    },
    [self](const dns_lookup& q) -> dns_answer {
      auto it = self->state.records.find(q.name);
      if (it == self->state.records.end())
        return std::nullopt;
      return it->second;
    },
  };
}

} // namespace overlayd
