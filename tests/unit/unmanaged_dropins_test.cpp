// platform/unmanaged_dropins: the networkd / NetworkManager drop-ins of
// mechanics.md 12 under a temp root, with the reload commands recorded
// instead of run.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "platform/unmanaged_dropins.hpp"
#include "support/files.hpp"
#include "support/recording_runner.hpp"
#include "support/scratch_dir.hpp"

using overlayd::make_error;
using overlayd::result;
namespace platform = overlayd::platform;

using overlayd::testing::recording_runner;

namespace {

// A scratch directory standing in for the host's root.
struct fake_root : overlayd::testing::scratch_dir {
  fake_root() : scratch_dir("dropins") {}
  void make(const std::string& dir) const { std::filesystem::create_directories(path() + dir); }
  bool exists(const std::string& file) const { return std::filesystem::exists(path() + file); }
  std::string read(const std::string& file) const {
    return overlayd::testing::read_file(path() + file);
  }
};

const std::string networkd_file = "/run/systemd/network/10-zlayer-unmanaged.network";
const std::string nm_file = "/run/NetworkManager/conf.d/10-zlayer-unmanaged.conf";

} // namespace

TEST_CASE("dropins: nothing written when neither manager runs", "[dropins]") {
  fake_root root;
  recording_runner runner;
  platform::unmanaged_dropins dropins(runner, root.path());
  REQUIRE(dropins.mark().ok());
  CHECK_FALSE(root.exists("/run"));
  CHECK(runner.calls().empty());
  REQUIRE(dropins.unmark().ok());
  CHECK(runner.calls().empty());
}

TEST_CASE("dropins: networkd running gets its file and a reload, NetworkManager none",
          "[dropins]") {
  fake_root root;
  root.make("/run/systemd/netif");
  recording_runner runner;
  platform::unmanaged_dropins dropins(runner, root.path() + "/");
  CHECK(dropins.networkd_dropin_path() == root.path() + networkd_file);

  REQUIRE(dropins.mark().ok());
  REQUIRE(root.exists(networkd_file));
  auto body = root.read(networkd_file);
  CHECK(body == std::string(platform::networkd_dropin_body()));
  CHECK(body.rfind("# Managed by ZLayer overlayd \xE2\x80\x94 do not ed", 0) == 0);
  CHECK(body.find("[Match]\nName=zl-* veth-* vc-*\n") != std::string::npos);
  CHECK(body.find("[Link]\nUnmanaged=yes\n") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat((root.path() + networkd_file).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK_FALSE(root.exists(nm_file));
  CHECK_FALSE(root.exists(networkd_file + ".tmp"));
  CHECK(runner.calls() == std::vector<std::string>{"networkctl reload"});
}

TEST_CASE("dropins: both managers, idempotent mark, unmark removes and reloads", "[dropins]") {
  fake_root root;
  root.make("/run/systemd/netif");
  root.make("/run/NetworkManager");
  recording_runner runner;
  platform::unmanaged_dropins dropins(runner, root.path());

  REQUIRE(dropins.mark().ok());
  CHECK(root.read(nm_file) == std::string(platform::networkmanager_dropin_body()));
  CHECK(root.read(nm_file).find(
            "[keyfile]\nunmanaged-devices+=interface-name:zl-*;interface-name:veth-*;"
            "interface-name:vc-*\n")
        != std::string::npos);
  CHECK(runner.calls() == std::vector<std::string>{"networkctl reload", "nmcli general reload"});

  // Already in place: no rewrite, no reload.
  REQUIRE(dropins.mark().ok());
  CHECK(runner.calls().size() == 2);

  // A stale body (an older release) is replaced and reloaded.
  std::ofstream(root.path() + networkd_file) << "[Match]\nName=zl-*\n";
  REQUIRE(dropins.mark().ok());
  CHECK(root.read(networkd_file) == std::string(platform::networkd_dropin_body()));
  CHECK(runner.calls().size() == 3);

  REQUIRE(dropins.unmark().ok());
  CHECK_FALSE(root.exists(networkd_file));
  CHECK_FALSE(root.exists(nm_file));
  CHECK(runner.calls()
        == std::vector<std::string>{"networkctl reload", "nmcli general reload",
                                    "networkctl reload", "networkctl reload",
                                    "nmcli general reload"});
  // Again: nothing to remove, nothing to reload.
  REQUIRE(dropins.unmark().ok());
  CHECK(runner.calls().size() == 5);
}

TEST_CASE("dropins: a failed reload is reported, the file stays written", "[dropins]") {
  fake_root root;
  root.make("/run/systemd/netif");
  root.make("/run/NetworkManager");
  recording_runner runner;
  runner.failing = {"networkctl"};
  platform::unmanaged_dropins dropins(runner, root.path());

  auto marked = dropins.mark();
  REQUIRE_FALSE(marked.ok());
  CHECK(marked.error_message()
        == "mark_overlay_interfaces_unmanaged: networkctl reload: Failed to reload: Access "
           "denied");
  CHECK(root.exists(networkd_file));
  CHECK(root.exists(nm_file)); // the other manager was still handled
  CHECK(runner.calls() == std::vector<std::string>{"networkctl reload", "nmcli general reload"});
}

TEST_CASE("dropins: an unwritable drop-in directory is an error naming the path", "[dropins]") {
  fake_root root;
  root.make("/run/systemd/netif");
  // A file where the directory should be: mkdir fails for root users too.
  std::ofstream(root.path() + "/run/systemd/network") << "not a directory";
  recording_runner runner;
  platform::unmanaged_dropins dropins(runner, root.path());
  auto marked = dropins.mark();
  REQUIRE_FALSE(marked.ok());
  CHECK(marked.error_message()
        == "mark_overlay_interfaces_unmanaged: mkdir(" + root.path()
               + "/run/systemd/network): exists and is not a directory");
  CHECK(runner.calls().empty());
}
