// The attachment records a restart rebuilds its leases from: their JSON
// form, the file (atomic, 0600, a damaged one kept aside with its good
// records loaded) and which addresses a pool must hold as leased.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "net/attachment_records.hpp"
#include "net/pool_allocator.hpp"
#include "platform/atomic_file.hpp"
#include "platform/attachment_file.hpp"
#include "platform/attachment_file_json.hpp"
#include "platform/bridge_file.hpp"
#include "support/files.hpp"
#include "support/scratch_dir.hpp"

using overlayd::net::attachment_record;
using overlayd::net::attachment_records;
using overlayd::net::ip_address;
using overlayd::platform::attachment_file;
using overlayd::platform::parse_attachments_json;
using overlayd::platform::to_attachments_json;
using overlayd::testing::read_file;
using overlayd::testing::scratch_dir;

namespace {

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

attachment_records two_records() {
  attachment_records records;
  records[42] = attachment_record{42, "web", ip("10.200.187.130"), ip("10.200.0.2"), true,
                                  std::string("red"), true};
  records[7] = attachment_record{7, "api", ip("fd00::2"), std::nullopt, false, std::nullopt,
                                 false};
  return records;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

} // namespace

TEST_CASE("attachment records: JSON round trip", "[attachments]") {
  auto records = two_records();
  auto text = to_attachments_json(records);
  CHECK(text.find("\"state\": \"intent\"") != std::string::npos);
  CHECK(text.find("\"state\": \"confirmed\"") != std::string::npos);
  auto parsed = parse_attachments_json(text);
  CHECK(parsed.problems.empty());
  CHECK(parsed.records == records);
}

TEST_CASE("attachment records: bad entries are named, good ones kept", "[attachments]") {
  auto parsed = parse_attachments_json(R"({"version": 1, "attachments": [
    {"pid": 1, "service": "a", "service_ip": "10.0.0.2", "state": "confirmed"},
    {"pid": 2, "service": "b", "service_ip": "10.0.0.300", "state": "confirmed"},
    {"pid": 0, "service": "c", "service_ip": "10.0.0.4", "state": "confirmed"},
    {"pid": 3, "service": "d", "service_ip": "10.0.0.5", "state": "maybe"},
    {"pid": 4, "service_ip": "10.0.0.6", "state": "intent"},
    {"pid": 5, "service": "e", "service_ip": "10.0.0.7", "state": "intent", "extra": 1}]})");
  CHECK(parsed.problems
        == std::vector<std::string>{"attachments[1].service_ip: not an IP address",
                                    "attachments[2].pid: expected a process id",
                                    "attachments[3].state: expected \"intent\" or \"confirmed\"",
                                    "attachments[4].service: missing field"});
  REQUIRE(parsed.records.size() == 2);
  CHECK(parsed.records.at(1).confirmed);
  CHECK(!parsed.records.at(5).confirmed);
}

TEST_CASE("attachment file: saved atomically and private, loaded back", "[attachments]") {
  scratch_dir dir("attachments");
  attachment_file file(dir.path() + "/data/attachments.json");
  REQUIRE(file.save(two_records()));
  struct stat st {};
  REQUIRE(::stat(file.path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(!std::filesystem::exists(file.path() + ".tmp"));
  auto loaded = file.load();
  CHECK(loaded.problems.empty());
  CHECK(!loaded.corrupt_copy);
  CHECK(loaded.records == two_records());

  // A missing file holds no records and is no problem.
  attachment_file none(dir.path() + "/nothing.json");
  auto empty = none.load();
  CHECK(empty.records.empty());
  CHECK(empty.problems.empty());
}

TEST_CASE("attachment file: a half-written file is kept aside, nothing lost",
          "[attachments]") {
  scratch_dir dir("attachments");
  const std::string path = dir.path() + "/attachments.json";
  const auto whole = to_attachments_json(two_records());
  // What a writer without the temp file and rename could leave behind.
  const auto half = whole.substr(0, whole.size() / 2);
  write(path, half);
  attachment_file file(path);
  auto loaded = file.load();
  REQUIRE(loaded.problems.size() == 1);
  CHECK(loaded.problems[0].rfind("load(" + path + "): not valid JSON: ", 0) == 0);
  REQUIRE(loaded.corrupt_copy == path + ".corrupt");
  CHECK(read_file(*loaded.corrupt_copy) == half); // the evidence, as it was
  CHECK(!std::filesystem::exists(path));

  // One bad entry: the others load, and a second damaged file never
  // overwrites the first copy.
  write(path, R"({"attachments": [
    {"pid": 9, "service": "web", "service_ip": "10.200.187.130", "state": "confirmed"},
    {"pid": "x"}]})");
  auto again = file.load();
  CHECK(again.problems.size() == 1);
  CHECK(again.corrupt_copy == path + ".corrupt.1");
  REQUIRE(again.records.size() == 1);
  CHECK(again.records.at(9).service_ip == ip("10.200.187.130"));
}

TEST_CASE("atomic write: replaces the whole file, leaves no temp file", "[attachments]") {
  scratch_dir dir("atomic");
  const std::string path = dir.path() + "/f";
  REQUIRE(overlayd::platform::write_file_atomically(path, "first version, longer"));
  REQUIRE(overlayd::platform::write_file_atomically(path, "second"));
  CHECK(read_file(path) == "second");
  CHECK(!std::filesystem::exists(path + ".tmp"));
  auto content = overlayd::platform::read_whole_file(path);
  REQUIRE(content);
  CHECK(**content == "second");
  auto missing = overlayd::platform::read_whole_file(dir.path() + "/none");
  REQUIRE(missing);
  CHECK(!*missing);
}

TEST_CASE("attachment records: a pool holds the recorded addresses as leased",
          "[attachments]") {
  auto records = two_records();
  const auto subnet = *overlayd::net::cidr::parse("10.200.187.128/26");
  auto pool = overlayd::net::pool_allocator::for_bridge(subnet);
  const auto leases = overlayd::net::recorded_leases(records, subnet);
  CHECK(leases == std::vector<ip_address>{ip("10.200.187.130")});
  for (const auto& a : leases)
    pool.mark_allocated(a);
  // .129 is the gateway, .130 the recorded container's: the next is .131.
  CHECK(pool.allocate() == ip("10.200.187.131"));
  CHECK(pool.allocated_count() == 3);

  // A new attach of pid 42 without eth1 gives the node-slice address back.
  auto replacement = records.at(42);
  replacement.global_ip.reset();
  CHECK(overlayd::net::addresses_dropped(records.at(42), replacement)
        == std::vector<ip_address>{ip("10.200.0.2")});
}

TEST_CASE("bridge records: round trip, bad names named", "[attachments]") {
  const std::vector<std::string> names{"zl---web-b", "zl---shared-sh"};
  auto parsed = overlayd::platform::parse_bridges_json(overlayd::platform::to_bridges_json(names));
  CHECK(parsed.problems.empty());
  CHECK(parsed.names == names);
  auto bad = overlayd::platform::parse_bridges_json(
    R"({"bridges": ["zl-a-b", "", 7, "a-name-far-too-long-for-linux"]})");
  CHECK(bad.names == std::vector<std::string>{"zl-a-b"});
  CHECK(bad.problems
        == std::vector<std::string>{"bridges[1]: not an interface name",
                                    "bridges[2]: not an interface name",
                                    "bridges[3]: not an interface name"});
  scratch_dir dir("bridges");
  overlayd::platform::bridge_file file(dir.path() + "/bridges.json");
  REQUIRE(file.save(names));
  CHECK(file.load().names == names);
}
