// The ipam rebuilds its leases from the attachment records at start: a
// recorded address is never handed out again until its record is
// forgotten, in whichever pool or slice holds it, whenever that opens.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "actors/ipam_state.hpp"
#include "platform/attachment_file.hpp"
#include "support/scratch_dir.hpp"

using overlayd::ipam_config;
using overlayd::ipam_state;
using overlayd::net::attachment_record;
using overlayd::net::ip_address;
using overlayd::testing::scratch_dir;

namespace {

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

overlayd::net::cidr net(const char* text) {
  return *overlayd::net::cidr::parse(text);
}

ipam_config config_in(const scratch_dir& dir) {
  ipam_config config;
  config.state_file_path = dir.path() + "/agent_network.json";
  config.attachments_file_path = dir.path() + "/attachments.json";
  config.default_slice = net("10.200.0.0/16");
  return config;
}

} // namespace

TEST_CASE("ipam: recorded attachments keep their leases across a restart", "[ipam]") {
  scratch_dir dir("leases");
  overlayd::net::attachment_records before;
  before[42] = attachment_record{42, "web", ip("10.200.187.130"), ip("10.200.0.2"), false,
                                 std::nullopt, true};
  REQUIRE(overlayd::platform::attachment_file(dir.path() + "/attachments.json").save(before));

  ipam_state ipam;
  ipam.init(config_in(dir));
  CHECK(ipam.records() == before);
  // The bridge is set up again after the restart: .130 is still pid 42's.
  REQUIRE(ipam.open("zl---web-b", net("10.200.187.128/26")));
  CHECK(*ipam.allocate_from_pool("zl---web-b") == ip("10.200.187.131"));
  // The start's default slice does not hold the setup back; the slice bound
  // then holds the lease too.
  REQUIRE(ipam.bind(net("10.200.0.0/24")));
  CHECK(*ipam.allocate_from_slice() == ip("10.200.0.3"));

  // The detach forgets the record: its addresses come back, lowest first.
  CHECK(*ipam.forget_record(42));
  CHECK(*ipam.allocate_from_pool("zl---web-b") == ip("10.200.187.130"));
  CHECK(*ipam.allocate_from_slice() == ip("10.200.0.2"));
  ipam_state restarted;
  restarted.init(config_in(dir));
  CHECK(restarted.records().empty());
}

TEST_CASE("ipam: a new attach of the same pid gives the old addresses back", "[ipam]") {
  scratch_dir dir("leases");
  ipam_state ipam;
  ipam.init(config_in(dir));
  REQUIRE(ipam.open("zl---web-b", net("10.200.187.128/26")));
  auto first = *ipam.allocate_from_pool("zl---web-b");
  REQUIRE(ipam.record(attachment_record{7, "web", first, std::nullopt, false, std::nullopt,
                                        false}));
  auto second = *ipam.allocate_from_pool("zl---web-b");
  REQUIRE(ipam.record(attachment_record{7, "web", second, std::nullopt, false, std::nullopt,
                                        true}));
  CHECK(*ipam.allocate_from_pool("zl---web-b") == first);
  CHECK(ipam.records().at(7).service_ip == second);
}

TEST_CASE("ipam: a damaged record file is kept aside, its good records still lease",
          "[ipam]") {
  scratch_dir dir("leases");
  const auto path = dir.path() + "/attachments.json";
  {
    std::ofstream out(path);
    out << R"({"version": 1, "attachments": [
      {"pid": 42, "service": "web", "service_ip": "10.200.187.130", "state": "confirmed"},
      {"pid": 43, "service": "web", "service_ip": "10.200.187.)"; // cut off mid-write
  }
  ipam_state ipam;
  ipam.init(config_in(dir));
  // Not valid JSON: nothing can be read, the evidence is kept, a fresh file
  // is written; no good record can be told from the cut-off one.
  CHECK(std::filesystem::exists(path + ".corrupt"));
  CHECK(overlayd::platform::attachment_file(path).load().problems.empty());

  {
    std::ofstream out(path);
    out << R"({"version": 1, "attachments": [
      {"pid": 42, "service": "web", "service_ip": "10.200.187.130", "state": "confirmed"},
      {"pid": 43, "service": "web", "service_ip": "10.200.187.", "state": "intent"}]})";
  }
  ipam_state again;
  again.init(config_in(dir));
  CHECK(std::filesystem::exists(path + ".corrupt.1"));
  REQUIRE(again.records().size() == 1);
  REQUIRE(again.open("zl---web-b", net("10.200.187.128/26")));
  CHECK(*again.allocate_from_pool("zl---web-b") == ip("10.200.187.131"));
  // The good record is back on disk for the next start.
  CHECK(overlayd::platform::attachment_file(path).load().records.size() == 1);
}
