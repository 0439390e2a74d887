// The dns actor keeps the records RegisterDns and UnregisterDns name.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dns_actor.hpp"

using namespace overlayd;

namespace {

dns_answer lookup(caf::scoped_actor& self, const dns_actor& dns, const std::string& name) {
  dns_answer answer;
  self->request(dns, caf::infinite, dns_lookup{name})
    .receive([&](const dns_answer& a) { answer = a; },
             [&](const caf::error& e) { FAIL(caf::to_string(e)); });
  return answer;
}

} // namespace

TEST_CASE("dns records: register, replace, unregister", "[dns]") {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  auto dns = system.spawn<dns_records>();
  caf::scoped_actor self{system};
  auto web = *net::ip_address::parse("10.200.0.2");
  auto moved = *net::ip_address::parse("fd00::5");

  CHECK_FALSE(lookup(self, dns, "web.zlayer.internal"));
  self->send(dns, dns_register{"web.zlayer.internal", web});
  CHECK(lookup(self, dns, "web.zlayer.internal") == web);
  self->send(dns, dns_register{"web.zlayer.internal", moved});
  CHECK(lookup(self, dns, "web.zlayer.internal") == moved);
  self->send(dns, dns_unregister{"web.zlayer.internal"});
  CHECK_FALSE(lookup(self, dns, "web.zlayer.internal"));
  self->send_exit(dns, caf::exit_reason::user_shutdown);
}
