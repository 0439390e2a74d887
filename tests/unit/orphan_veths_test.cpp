// The orphan-veth rule of mechanics.md 4.3: veth-<pid>-* / vc-<pid>-* whose
// pid is gone, with the pid read as Rust's u32 parse reads it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "net/orphan_veths.hpp"

using overlayd::net::select_orphan_veths;
using overlayd::net::veth_owner_pid;

TEST_CASE("orphan veths: the owner pid of a container veth name", "[net]") {
  CHECK(veth_owner_pid("veth-4242-s") == 4242u);
  CHECK(veth_owner_pid("veth-4242-g") == 4242u);
  CHECK(veth_owner_pid("vc-4242-s") == 4242u);
  CHECK(veth_owner_pid("veth-4242") == 4242u);          // no tag: the whole rest
  CHECK(veth_owner_pid("veth-4242-s-extra") == 4242u);  // up to the first '-'
  CHECK(veth_owner_pid("veth-007-s") == 7u);
  CHECK(veth_owner_pid("veth-+12-s") == 12u);           // Rust's u32 parse takes a '+'
  CHECK(veth_owner_pid("veth-0-s") == 0u);
  CHECK(veth_owner_pid("veth-4294967295-s") == 4294967295u);

  CHECK_FALSE(veth_owner_pid("veth-4294967296-s"));     // overflows u32
  CHECK_FALSE(veth_owner_pid("veth-abc-s"));
  CHECK_FALSE(veth_owner_pid("veth--s"));
  CHECK_FALSE(veth_owner_pid("veth-"));
  CHECK_FALSE(veth_owner_pid("veth-+-s"));
  CHECK_FALSE(veth_owner_pid("veth--12-s"));
  CHECK_FALSE(veth_owner_pid("veth-12a-s"));
  CHECK_FALSE(veth_owner_pid("veth- 12-s"));
  CHECK_FALSE(veth_owner_pid("veth4242-s"));
  CHECK_FALSE(veth_owner_pid("vethx-4242-s"));
  CHECK_FALSE(veth_owner_pid("xveth-4242-s"));
  CHECK_FALSE(veth_owner_pid("vc4242-s"));
  CHECK_FALSE(veth_owner_pid("eth0"));
  CHECK_FALSE(veth_owner_pid("lo"));
  CHECK_FALSE(veth_owner_pid("zl-4242-b"));
  CHECK_FALSE(veth_owner_pid(""));
}

TEST_CASE("orphan veths: selected when the owner is gone, in link order", "[net]") {
  const std::set<std::uint32_t> alive{1, 100, 4242};
  std::vector<std::uint32_t> asked;
  auto pid_alive = [&](std::uint32_t pid) {
    asked.push_back(pid);
    return alive.count(pid) > 0;
  };
  const std::vector<std::string> links{
    "lo",           "eth0",        "veth-4242-s", "vc-4242-s",   "veth-5000-s", "zl-prod-0-g",
    "vc-5000-g",    "veth-abc-s",  "veth-100-g",  "veth-99999999-s", "docker0", "vc-7-s",
    "veth-+5000-g", "zl-1ca4568944-b"};
  CHECK(select_orphan_veths(links, pid_alive)
        == std::vector<std::string>{"veth-5000-s", "vc-5000-g", "veth-99999999-s", "vc-7-s",
                                    "veth-+5000-g"});
  // Only names of the two shapes cost a liveness check.
  CHECK(asked == std::vector<std::uint32_t>{4242, 4242, 5000, 5000, 100, 99999999, 7, 5000});
}

TEST_CASE("orphan veths: nothing to do", "[net]") {
  auto everyone_alive = [](std::uint32_t) { return true; };
  auto nobody_alive = [](std::uint32_t) { return false; };
  CHECK(select_orphan_veths({}, nobody_alive).empty());
  CHECK(select_orphan_veths({"veth-1-s", "vc-2-g"}, everyone_alive).empty());
  CHECK(select_orphan_veths({"lo", "eth0", "veth0", "vc"}, nobody_alive).empty());
}
