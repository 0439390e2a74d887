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

template <class Change>
void apply(caf::scoped_actor& self, const dns_actor& dns, Change c) {
  self->request(dns, caf::infinite, std::move(c))
    .receive([](bool done) { CHECK(done); },
             [&](const caf::error& e) { FAIL(caf::to_string(e)); });
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
  apply(self, dns, dns_register{"web.zlayer.internal", web});
  CHECK(lookup(self, dns, "web.zlayer.internal") == web);
  apply(self, dns, dns_register{"web.zlayer.internal", moved});
  CHECK(lookup(self, dns, "web.zlayer.internal") == moved);
  apply(self, dns, dns_unregister{"web.zlayer.internal"});
  CHECK_FALSE(lookup(self, dns, "web.zlayer.internal"));
  self->send_exit(dns, caf::exit_reason::user_shutdown);
}

TEST_CASE("dns records: the view lists records, serial and listeners", "[dns]") {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  dns_settings settings;
  settings.listen.push_back(*net::parse_endpoint("127.0.0.1:0"));
  settings.overlay_port = 5353;
  auto dns = system.spawn<dns_records>(settings, nullptr);
  caf::scoped_actor self{system};
  apply(self, dns, dns_register{"web", *net::ip_address::parse("10.200.0.2")});
  dns_view v;
  self->request(dns, caf::infinite, dns_view_request{})
    .receive([&](const dns_view& got) { v = got; },
             [&](const caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK(v.enabled);
  CHECK(v.zone == "overlay.local.");
  CHECK(v.serial == 2);
  REQUIRE(v.records.size() == 1);
  CHECK(v.records[0].first == "web.overlay.local.");
  REQUIRE(v.listeners.size() == 2);
  CHECK(v.listeners[0].serving);
  CHECK(v.listeners[0].address.rfind("127.0.0.1:", 0) == 0);
  CHECK_FALSE(v.listeners[1].serving);
  CHECK(v.listeners[1].address == "overlay:5353");
  self->send_exit(dns, caf::exit_reason::user_shutdown);
}
