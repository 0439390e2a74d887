// dns actor: the overlay DNS records (name -> address). The responder that
// serves them arrives with its own issue (DECISIONS.md 18).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <optional>
#include <string>

#include "net/base/ip_address.hpp"

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

// A class rather than a function actor: CAF 0.17 dereferences a null
// argument tuple when a function actor is spawned without arguments, which
// UndefinedBehaviorSanitizer rightly reports.
class dns_records : public dns_actor::base {
public:
  explicit dns_records(caf::actor_config& cfg) : dns_actor::base(cfg) {}

  const char* name() const override { return "dns"; }
  behavior_type make_behavior() override;

private:
  std::map<std::string, net::ip_address> records_;
};

} // namespace overlayd
