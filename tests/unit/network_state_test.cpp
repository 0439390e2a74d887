#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "net/network_state.hpp"
#include "platform/state_file.hpp"
#include "platform/state_file_json.hpp"
#include "support/files.hpp"
#include "support/scratch_dir.hpp"

using overlayd::net::network_entry;
using overlayd::net::network_state;
using overlayd::platform::parse_state_json;
using overlayd::platform::to_state_json;
using overlayd::platform::state_file;

using overlayd::testing::read_file;

namespace {

using temp_dir = overlayd::testing::scratch_dir;

network_entry dedicated(const std::string& service, std::uint16_t port) {
  network_entry e;
  e.owner = "service:" + service;
  e.kind = "wg-dedicated";
  e.name = "zl-dep-i0-" + service + "-d";
  e.id = "cHVibGljLWtleS1vZi0" + service + "=";
  e.subnet = "10.200.187.128/26";
  e.wg_port = port;
  e.wg_private_key = "cHJpdmF0ZS1rZXktb2Yt" + service + "=";
  e.wg_public_key = e.id;
  e.interface = e.name;
  return e;
}

void write_all(const std::string& path, const std::string& content, mode_t mode = 0644) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("state: pretty JSON has the spec's layout", "[state]") {
  network_state state;
  network_entry e;
  e.owner = "service:web";
  e.kind = "wg-dedicated";
  e.name = "zl-dep-i0-web-d";
  e.id = "PUB=";
  e.subnet = "10.200.187.128/26";
  e.wg_port = 51421;
  e.wg_private_key = "PRIV=";
  e.wg_public_key = "PUB=";
  e.interface = "zl-dep-i0-web-d";
  state.networks.push_back(e);
  network_entry minimal{"base", "hcn-nat", "n", "i", "172.16.0.0/16", {}, {}, {}, {}};
  state.networks.push_back(minimal);

  CHECK(to_state_json(state) == R"({
  "version": 1,
  "networks": [
    {
      "owner": "service:web",
      "kind": "wg-dedicated",
      "name": "zl-dep-i0-web-d",
      "id": "PUB=",
      "subnet": "10.200.187.128/26",
      "wg_port": 51421,
      "wg_private_key": "PRIV=",
      "wg_public_key": "PUB=",
      "interface": "zl-dep-i0-web-d"
    },
    {
      "owner": "base",
      "kind": "hcn-nat",
      "name": "n",
      "id": "i",
      "subnet": "172.16.0.0/16"
    }
  ]
})");
  CHECK(to_state_json(network_state{}) == "{\n  \"version\": 1,\n  \"networks\": []\n}");
}

TEST_CASE("state: get, upsert in place, remove the first match", "[state]") {
  network_state state;
  state.upsert(dedicated("a", 51421));
  state.upsert(dedicated("b", 51422));
  auto replacement = dedicated("a", 51430);
  state.upsert(replacement);
  REQUIRE(state.networks.size() == 2);
  CHECK(state.networks[0].owner == "service:a"); // position kept
  CHECK(state.get("service:a")->wg_port == std::uint16_t{51430});
  CHECK(state.get("service:zzz") == nullptr);
  auto removed = state.remove("service:a");
  REQUIRE(removed.has_value());
  CHECK(*removed == replacement);
  CHECK_FALSE(state.remove("service:a").has_value());
  CHECK(state.networks.size() == 1);
}

TEST_CASE("state: parse fills defaults and ignores unknown fields", "[state]") {
  auto empty = parse_state_json("{}");
  CHECK(empty.problems.empty());
  CHECK(empty.state.version == 1);
  CHECK(empty.state.networks.empty());

  auto parsed = parse_state_json(R"({"version":1,"extra":true,"networks":[
    {"owner":"service:w","kind":"wg-dedicated","name":"n","id":"i","subnet":"s",
     "wg_port":null,"interface":null,"future":{"x":1}}]})");
  CHECK(parsed.problems.empty());
  REQUIRE(parsed.state.networks.size() == 1);
  CHECK_FALSE(parsed.state.networks[0].wg_port.has_value());
  CHECK_FALSE(parsed.state.networks[0].interface.has_value());

  network_state full;
  full.networks = {dedicated("x", 51421), dedicated("y", 51422)};
  auto round = parse_state_json(to_state_json(full));
  CHECK(round.problems.empty());
  CHECK(round.state == full);
}

TEST_CASE("state: a bad entry is reported and the good ones are kept", "[state]") {
  auto parsed = parse_state_json(R"({"networks":[
    {"owner":"service:a","kind":"wg-dedicated","name":"n","id":"i","subnet":"s"},
    {"kind":"wg-dedicated","name":"n","id":"i","subnet":"s"},
    {"owner":"service:c","kind":"wg-dedicated","name":"n","id":"i","subnet":"s","wg_port":70000},
    {"owner":"service:d","kind":"wg-dedicated","name":"n","id":"i","subnet":5},
    "not an entry",
    {"owner":"service:f","kind":"wg-dedicated","name":"n","id":"i","subnet":"s",
     "wg_port":"SECRET-KEY-MATERIAL"},
    {"owner":"service:g","kind":"wg-dedicated","name":"n","id":"i","subnet":"s","wg_port":51423}
  ]})");
  REQUIRE(parsed.state.networks.size() == 2);
  CHECK(parsed.state.networks[0].owner == "service:a");
  CHECK(parsed.state.networks[1].owner == "service:g");
  REQUIRE(parsed.problems.size() == 5);
  CHECK(parsed.problems[0] == "networks[1].owner: missing field");
  CHECK(parsed.problems[1] == "networks[2].wg_port: invalid value: integer `70000`, expected u16");
  CHECK(parsed.problems[2]
        == "networks[3].subnet: invalid type: integer `5`, expected a string");
  CHECK(parsed.problems[3]
        == "networks[4]: invalid type: string, expected struct NetworkEntry");
  CHECK(parsed.problems[4] == "networks[5].wg_port: invalid type: string, expected u16");
  for (const auto& p : parsed.problems)
    CHECK_FALSE(contains(p, "SECRET"));
}

TEST_CASE("state: an unparsable document gives no entries and one problem", "[state]") {
  auto parsed = parse_state_json(R"({"version":1,"networks":[{"owner":)");
  CHECK(parsed.state.networks.empty());
  REQUIRE(parsed.problems.size() == 1);
  CHECK(contains(parsed.problems[0], "EOF while parsing"));
  CHECK(parse_state_json("[]").problems.size() == 1);
  CHECK(parse_state_json(R"({"networks":{}})").problems.size() == 1);
}

TEST_CASE("state file: save then load gives the same state", "[state]") {
  temp_dir dir;
  state_file file(dir.path() + "/data/sub/agent_network.json");
  network_state state;
  state.networks = {dedicated("web", 51421), dedicated("db", 51422)};
  auto saved = file.save(state);
  REQUIRE(saved.ok());
  CHECK(mode_of(dir.path() + "/data/sub/agent_network.json") == 0600);
  CHECK(mode_of(dir.path() + "/data/sub") == 0700);
  CHECK_FALSE(exists(dir.path() + "/data/sub/agent_network.json.tmp"));
  CHECK(read_file(file.path()) == to_state_json(state));

  auto loaded = file.load();
  CHECK(loaded.problems.empty());
  CHECK_FALSE(loaded.corrupt_copy.has_value());
  CHECK(loaded.state == state);
}

TEST_CASE("state file: mode is 0600 even over existing 0644 files", "[state]") {
  temp_dir dir;
  auto path = dir.path() + "/agent_network.json";
  write_all(path, "{}", 0644);
  write_all(path + ".tmp", "stale", 0644);
  state_file file(path);
  REQUIRE(file.save(network_state{}).ok());
  CHECK(mode_of(path) == 0600);
  CHECK(read_file(path) == to_state_json(network_state{}));
}

TEST_CASE("state file: a missing file is an empty state without problems", "[state]") {
  temp_dir dir;
  auto loaded = state_file(dir.path() + "/nothing/agent_network.json").load();
  CHECK(loaded.problems.empty());
  CHECK(loaded.state == network_state{});
  CHECK_FALSE(loaded.corrupt_copy.has_value());
}

TEST_CASE("state file: corrupt files are kept aside, never overwritten", "[state]") {
  temp_dir dir;
  auto path = dir.path() + "/agent_network.json";
  state_file file(path);

  write_all(path, "{ this is not json");
  auto first = file.load();
  REQUIRE(first.problems.size() == 1);
  CHECK(contains(first.problems[0], path));
  CHECK(first.corrupt_copy == path + ".corrupt");
  CHECK(read_file(path + ".corrupt") == "{ this is not json");
  CHECK(mode_of(path + ".corrupt") == 0600);
  CHECK_FALSE(exists(path));

  write_all(path, "second bad file");
  auto second = file.load();
  CHECK(second.corrupt_copy == path + ".corrupt.1");
  CHECK(read_file(path + ".corrupt") == "{ this is not json");
  CHECK(read_file(path + ".corrupt.1") == "second bad file");

  write_all(path, "third");
  CHECK(file.load().corrupt_copy == path + ".corrupt.2");
}

TEST_CASE("state file: one bad entry keeps the good ones and the file aside", "[state]") {
  temp_dir dir;
  auto path = dir.path() + "/agent_network.json";
  network_state good;
  good.networks = {dedicated("a", 51421), dedicated("c", 51423)};
  auto text = to_state_json(good);
  // Break a third entry in between: no owner.
  auto pos = text.find("    {", text.find("    {") + 1);
  text.insert(pos, "    {\"kind\": \"wg-dedicated\"},\n");
  write_all(path, text);

  state_file file(path);
  auto loaded = file.load();
  CHECK(loaded.state == good);
  REQUIRE(loaded.problems.size() == 1);
  CHECK(contains(loaded.problems[0], "networks[1].owner: missing field"));
  CHECK(loaded.corrupt_copy == path + ".corrupt");
  CHECK(read_file(path + ".corrupt") == text);

  // Saving what was loaded puts the good entries back.
  REQUIRE(file.save(loaded.state).ok());
  auto again = file.load();
  CHECK(again.problems.empty());
  CHECK(again.state == good);
}

TEST_CASE("state file: errors name the operation and the path", "[state]") {
  temp_dir dir;
  // The target is a directory, so the final rename fails.
  auto path = dir.path() + "/agent_network.json";
  REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  REQUIRE(::mkdir((path + "/child").c_str(), 0700) == 0);
  network_state state;
  state.networks = {dedicated("web", 51421)};
  auto saved = state_file(path).save(state);
  REQUIRE_FALSE(saved.ok());
  CHECK(saved.error_message().rfind("rename(" + path + ".tmp -> " + path + "): ", 0) == 0);
  CHECK_FALSE(contains(saved.error_message(), "cHJpdmF0ZS"));
  CHECK_FALSE(exists(path + ".tmp"));

  // The parent is a regular file.
  auto blocker = dir.path() + "/file";
  write_all(blocker, "x");
  auto blocked = state_file(blocker + "/agent_network.json").save(state);
  REQUIRE_FALSE(blocked.ok());
  CHECK(contains(blocked.error_message(), blocker));
}
