// Vectors from mechanics.md 4.1/4.3 and ipc_contract.md 11 (rustc-verified).
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "net/interface_name.hpp"
#include "net/siphash13.hpp"

using overlayd::net::is_orphan_service_bridge;
using overlayd::net::make_interface_name;
using overlayd::net::max_interface_name;
using overlayd::net::siphash13;

namespace {

// The byte stream make_interface_name hashes: Rust `str` hashing per part,
// then the suffix (mechanics.md 4.1 step 3).
std::uint64_t rust_hash(const std::vector<std::string>& parts, const std::string& suffix) {
  std::string stream;
  for (const auto& p : parts)
    stream += p + '\xFF';
  stream += suffix + '\xFF';
  return siphash13(stream);
}

} // namespace

TEST_CASE("siphash13: raw check values", "[net]") {
  CHECK(siphash13(std::string_view{}) == 0xd1fba762150c532cULL);
  CHECK(siphash13(nullptr, 0) == 0xd1fba762150c532cULL);
  const std::uint8_t abc[] = {0x61, 0x62, 0x63, 0xFF};
  CHECK(siphash13(abc, sizeof abc) == 0xef09e0f4895a251dULL);
  CHECK(siphash13(std::string_view("abc\xFF", 4)) == 0xef09e0f4895a251dULL);
  // Windows isolation-subnet picker hashes a single str (mechanics.md 4.2).
  CHECK(siphash13(std::string_view("alpha\xFF", 6)) == 0x3c87f3c3317bd39aULL);
  CHECK(siphash13(std::string_view("net-a\xFF", 6)) == 0xbb1112f715b5ab56ULL);
}

TEST_CASE("siphash13: keys change the result", "[net]") {
  CHECK(siphash13(std::string_view{}, 1, 0) != siphash13(std::string_view{}));
  CHECK(siphash13(std::string_view{}, 0, 1) != siphash13(std::string_view{}));
}

TEST_CASE("siphash13: mechanics 4.1 hash column (multi-block messages)", "[net]") {
  CHECK(rust_hash({"dep", "i0"}, "g") == 0xd23886b389194ab8ULL);
  CHECK(rust_hash({"dep", "i0", "web"}, "b") == 0x9030aa19bb874d9dULL);
  CHECK(rust_hash({"dep", "i0", "web"}, "d") == 0x7215a8b95dd03c45ULL);
  CHECK(rust_hash({"dep", "i0", "shared"}, "sh") == 0xd3759c4d3d68f155ULL);
  CHECK(rust_hash({"zlayer", "node-1"}, "g") == 0xc191f15e09fa3eabULL);
  CHECK(rust_hash({"zlayer", "node-1", "web"}, "b") == 0x3ade5b26d378a910ULL);
  CHECK(rust_hash({"zlayer", "node-1", "web"}, "d") == 0xd9133cc8a754079eULL);
  CHECK(rust_hash({"zlayer", "node-1", "shared"}, "sh") == 0xa4c366e0202724dcULL);
  CHECK(rust_hash({"zlayer-manager"}, "g") == 0x4b72278e21887f17ULL);
  CHECK(rust_hash({"prod", "node-1", "web"}, "b") == 0x091e730a790b0d98ULL);
  CHECK(rust_hash({"longdeploymentname"}, "") == 0x2d0a92cf3a60392bULL);
  CHECK(rust_hash({"x"}, "averyverylongsuffix") == 0x9a75e2163dd57bbbULL);
  CHECK(rust_hash({""}, "g") == 0x11c501c901755361ULL);
}

TEST_CASE("interface name: mechanics 4.1 table", "[net]") {
  CHECK(max_interface_name == 15);
  CHECK(make_interface_name({"dep", "i0"}, "g") == "zl-dep-i0-g");
  CHECK(make_interface_name({"dep", "i0", "web"}, "b") == "zl-dep-i0-web-b");
  CHECK(make_interface_name({"dep", "i0", "web"}, "d") == "zl-dep-i0-web-d");
  CHECK(make_interface_name({"dep", "i0", "shared"}, "sh") == "zl-d3759c4d3-sh");
  CHECK(make_interface_name({"zlayer", "node-1"}, "g") == "zl-c191f15e09-g");
  CHECK(make_interface_name({"zlayer", "node-1", "web"}, "b") == "zl-3ade5b26d3-b");
  CHECK(make_interface_name({"zlayer", "node-1", "web"}, "d") == "zl-d9133cc8a7-d");
  CHECK(make_interface_name({"zlayer", "node-1", "shared"}, "sh") == "zl-a4c366e02-sh");
  CHECK(make_interface_name({"zlayer-manager"}, "g") == "zl-4b72278e21-g");
  // Leading zero of 091e730a... is dropped (Rust {:x}, no padding).
  CHECK(make_interface_name({"prod", "node-1", "web"}, "b") == "zl-91e730a790-b");
  CHECK(make_interface_name({"longdeploymentname"}, "") == "zl-2d0a92cf3a60");
  CHECK(make_interface_name({"x"}, "averyverylongsuffix") == "zl-9a75e2163dd5");
  CHECK(make_interface_name({""}, "g") == "zl--g");
}

TEST_CASE("interface name: ipc_contract 11 table", "[net]") {
  CHECK(make_interface_name({"prod", "a1b2"}, "g") == "zl-prod-a1b2-g");
  CHECK(make_interface_name({"prod", "a1b2", "web"}, "b") == "zl-35764586a1-b");
  CHECK(make_interface_name({"prod", "a1b2", "web"}, "d") == "zl-ce2acf49ed-d");
  CHECK(make_interface_name({"prod", "a1b2", "shared"}, "sh") == "zl-b50b3dbb0-sh");
  CHECK(make_interface_name({"zlayer-manager"}, "g") == "zl-4b72278e21-g");
  CHECK(make_interface_name({"production", "0123456789abcdef"}, "g") == "zl-29c25ba811-g");
  CHECK(make_interface_name({"my-long-service-name"}, "b") == "zl-d9f5081d5f-b");
  CHECK(make_interface_name({"x"}, "averyveryverylongsuffix") == "zl-ee2642a9906d");
  CHECK(make_interface_name({"web"}, "b") == "zl-web-b");
}

TEST_CASE("interface name: never longer than IFNAMSIZ-1", "[net]") {
  const std::vector<std::string> suffixes = {"", "g", "sh", "abcdefghij", "abcdefghijk", "abcdefghijkl"};
  for (const auto& s : suffixes) {
    std::string name = make_interface_name({"a-very-long-deployment", "instance"}, s);
    INFO("suffix '" << s << "' -> " << name);
    CHECK(name.size() <= max_interface_name);
    CHECK(name.rfind("zl-", 0) == 0);
  }
  // 10-byte suffix: budget 1 -> one hex char; 11 bytes: budget 0 -> suffix dropped.
  CHECK(make_interface_name({"deployment"}, "abcdefghij").size() == 15);
  CHECK(make_interface_name({"deployment"}, "abcdefghijk").size() == 15);
  CHECK(make_interface_name({"deployment"}, "abcdefghijk").find('-', 3) == std::string::npos);
  // No parts: the join is empty, same as a single empty part.
  CHECK(make_interface_name({}, "g") == "zl--g");
}

TEST_CASE("orphan service bridge: mechanics 4.3 example", "[net]") {
  const std::vector<std::string> links = {
      "zl-prod-0-web-b", "zl-prod-0-api-b", "zl-prod-0-g",      "zl-prod-0-shared-sh",
      "zl-prod-0-db-d",  "zl-1ca4568944-b", "zl-81c6bc17c7-b",  "zl-prod-0-gone-d",
      "veth-4242-s",     "vc-4242-g",       "eth0",             "lo",
      "docker0",         "zl-not-a-bridge"};
  const std::set<std::string> live = {"zl-prod-0-web-b", "zl-prod-0-api-b"};
  const std::set<std::string> protected_names = {"zl-prod-0-db-d"};

  std::vector<std::string> selected;
  for (const auto& l : links)
    if (is_orphan_service_bridge(l, live, protected_names))
      selected.push_back(l);
  CHECK(selected
        == std::vector<std::string>{"zl-1ca4568944-b", "zl-81c6bc17c7-b", "zl-prod-0-gone-d"});
}

TEST_CASE("orphan service bridge: prefix and suffix rules", "[net]") {
  const std::set<std::string> none;
  CHECK(is_orphan_service_bridge("zl-x-b", none, none));
  CHECK(is_orphan_service_bridge("zl-x-d", none, none));
  CHECK_FALSE(is_orphan_service_bridge("zl-x-g", none, none));
  CHECK_FALSE(is_orphan_service_bridge("zl-x-sh", none, none));
  CHECK_FALSE(is_orphan_service_bridge("xzl-x-b", none, none));
  CHECK_FALSE(is_orphan_service_bridge("", none, none));
  CHECK_FALSE(is_orphan_service_bridge("zl-x-b", {"zl-x-b"}, none));
  CHECK_FALSE(is_orphan_service_bridge("zl-x-d", none, {"zl-x-d"}));
}
