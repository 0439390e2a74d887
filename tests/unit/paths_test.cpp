// Vectors from ipc_contract.md 1.2 and mechanics.md 1.
#include <catch2/catch.hpp>

#include <string>

#include "net/fnv1a.hpp"
#include "net/paths.hpp"

using overlayd::net::default_data_dir;
using overlayd::net::default_socket_path_for;
using overlayd::net::default_uapi_dir_for;
using overlayd::net::fnv1a64;
using overlayd::net::fnv1a64_hasher;

namespace {
const std::string pdd_root = "/var/lib/zlayer";
const std::string pdd_user = "/home/alice/.zlayer";
} // namespace

TEST_CASE("fnv1a64: vectors and streaming", "[net]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("/srv/zl", "overlayd") == 0x183b79a9544ae8caULL);
  CHECK(fnv1a64("/srv/zloverlayd") == 0x183b79a9544ae8caULL);
  CHECK(fnv1a64("/" + std::string(120, 'd'), "overlayd") == 0x2328aff6571b25c6ULL);

  fnv1a64_hasher h;
  h.add("/srv/");
  h.add_byte('z');
  h.add("l");
  h.add("overlayd");
  CHECK(h.value() == 0x183b79a9544ae8caULL);

  // A separator byte between fields is what keeps (svc "ab", node "c") apart from ("a", "bc").
  fnv1a64_hasher a, b;
  a.add("ab"); a.add_byte(0x1f); a.add("c");
  b.add("a"); b.add_byte(0x1f); b.add("bc");
  CHECK(a.value() != b.value());
}

TEST_CASE("default data dir", "[net]") {
  CHECK(default_data_dir("/srv/zl", true, "/root") == "/srv/zl");
  CHECK(default_data_dir("/srv/zl", false, "/home/alice") == "/srv/zl");
  CHECK(default_data_dir("", true, "/root") == "/var/lib/zlayer");
  CHECK(default_data_dir("", false, "/home/alice") == "/home/alice/.zlayer");
  CHECK(default_data_dir("", false, "") == "/var/lib/zlayer/.zlayer");
  CHECK(default_data_dir("", true, "") == "/var/lib/zlayer");
}

TEST_CASE("overlayd socket path: equal to the platform default", "[net]") {
  CHECK(default_socket_path_for(pdd_root, pdd_root) == "/var/run/zlayer-overlayd.sock");
  CHECK(default_socket_path_for(pdd_user, pdd_user) == "/var/run/zlayer-overlayd.sock");
  // Component-wise equality: repeated and trailing slashes do not matter.
  CHECK(default_socket_path_for("/var/lib/zlayer/", pdd_root) == "/var/run/zlayer-overlayd.sock");
  CHECK(default_socket_path_for("//var///lib/zlayer", pdd_root) == "/var/run/zlayer-overlayd.sock");
  CHECK(default_socket_path_for("/var/./lib/zlayer", pdd_root) == "/var/run/zlayer-overlayd.sock");
  CHECK(default_socket_path_for(pdd_root, "/var/lib/zlayer/") == "/var/run/zlayer-overlayd.sock");
  // ...but a different path is different.
  CHECK(default_socket_path_for("/var/lib/zlayer2", pdd_root)
        == "/var/lib/zlayer2/run/zlayer-overlayd.sock");
  CHECK(default_socket_path_for("var/lib/zlayer", pdd_root)
        == "var/lib/zlayer/run/zlayer-overlayd.sock");
}

TEST_CASE("overlayd socket path: other data dirs and the 103-byte boundary", "[net]") {
  CHECK(default_socket_path_for("/srv/zl", pdd_root) == "/srv/zl/run/zlayer-overlayd.sock");
  // Joined like Rust's PathBuf::join: a trailing slash is not doubled.
  CHECK(default_socket_path_for("/srv/zl/", pdd_root) == "/srv/zl/run/zlayer-overlayd.sock");
  // "/run/zlayer-overlayd.sock" is 25 bytes: a 78-byte data dir gives exactly 103.
  const std::string d78 = "/" + std::string(77, 'a');
  REQUIRE(d78.size() == 78);
  CHECK(default_socket_path_for(d78, pdd_root) == d78 + "/run/zlayer-overlayd.sock");
  CHECK(default_socket_path_for(d78, pdd_root).size() == 103);
  const std::string d79 = "/" + std::string(78, 'a');
  const std::string fallback = default_socket_path_for(d79, pdd_root);
  CHECK(fallback.rfind("/tmp/zlayer-overlayd-", 0) == 0);
  CHECK(fallback.size() == std::string("/tmp/zlayer-overlayd-.sock").size() + 16);
  CHECK(default_socket_path_for("/" + std::string(120, 'd'), pdd_root)
        == "/tmp/zlayer-overlayd-2328aff6571b25c6.sock");
}

TEST_CASE("overlayd socket path: fallback hash is zero-padded", "[net]") {
  // Find a data dir whose hash has a leading zero nibble and check padding.
  for (int i = 0;; ++i) {
    const std::string d = "/" + std::string(120, 'x') + std::to_string(i);
    const auto h = fnv1a64(d, "overlayd");
    if ((h >> 60) != 0)
      continue;
    const std::string p = default_socket_path_for(d, pdd_root);
    CHECK(p.size() == std::string("/tmp/zlayer-overlayd-.sock").size() + 16);
    CHECK(p.substr(21, 1) == "0");
    break;
  }
}

TEST_CASE("uapi dir: defaults, other dirs, the 82-byte boundary", "[net]") {
  CHECK(default_uapi_dir_for(pdd_root, pdd_root) == "/var/run/wireguard");
  CHECK(default_uapi_dir_for(pdd_user + "/", pdd_user) == "/var/run/wireguard");
  CHECK(default_uapi_dir_for("/srv/zl", pdd_root) == "/srv/zl/run/wireguard");
  CHECK(default_uapi_dir_for("/srv/zl/", pdd_root) == "/srv/zl/run/wireguard");
  // "/run/wireguard" is 14 bytes: a 68-byte data dir gives exactly 82.
  const std::string d68 = "/srv/" + std::string(63, 'w');
  REQUIRE(d68.size() == 68);
  CHECK(default_uapi_dir_for(d68, pdd_root) == d68 + "/run/wireguard");
  CHECK(default_uapi_dir_for(d68, pdd_root).size() == 82);
  const std::string d69 = "/srv/" + std::string(64, 'w');
  // Expected value from an independent Python FNV-1a.
  CHECK(default_uapi_dir_for(d69, pdd_root) == "/tmp/zlayer-wg-8e621fba61822792");
  CHECK(fnv1a64(d69, "wg") == 0x8e621fba61822792ULL);
}
