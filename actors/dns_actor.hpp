// dns actor: the overlay DNS records (name -> address). The responder that
// serves them arrives with its own issue (DECISIONS.md 18).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <map>
#include <optional>
#include <string>

#include "net/ip_address.hpp"

namespace overlayd {

struct dns_register {
  std::string name;
  net::ip_address ip;
};

struct dns_unregister {
  std::string name;
};

struct dns_lookup {
  std::string name;
};

using dns_answer = std::optional<net::ip_address>;

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_register)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_unregister)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_answer)

namespace overlayd {

using dns_actor = caf::typed_actor<caf::reacts_to<dns_register>, caf::reacts_to<dns_unregister>,
                                   caf::replies_to<dns_lookup>::with<dns_answer>>;

struct dns_state {
  std::map<std::string, net::ip_address> records;
  static inline const char* name = "dns";
};

dns_actor::behavior_type dns_records(dns_actor::stateful_pointer<dns_state> self);

} // namespace overlayd
