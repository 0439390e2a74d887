#include "actors/dns_actor.hpp"

#include <spdlog/spdlog.h>

namespace overlayd {

dns_records::behavior_type dns_records::make_behavior() {
  return {
    [this](const dns_register& r) {
      spdlog::debug("dns: {} -> {}", r.name, r.ip.to_string());
      records_[r.name] = r.ip;
    },
    [this](const dns_unregister& r) {
      spdlog::debug("dns: {} removed", r.name);
      records_.erase(r.name);
    },
    [this](const dns_lookup& q) -> dns_answer {
      auto it = records_.find(q.name);
      if (it == records_.end())
        return std::nullopt;
      return it->second;
    },
  };
}

} // namespace overlayd
