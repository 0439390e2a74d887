// Shared by the actor-level tests: host access that cannot reach the
// machine, and a bounded wait for an embedded daemon's answer.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>

#include "actors/embedded.hpp"
#include "support/fake_sysctls.hpp"
#include "support/netns.hpp"
#include "support/recording_runner.hpp"
#include "support/scratch_dir.hpp"

namespace overlayd::testing {

// What an embedded daemon under test may touch: commands are recorded,
// sysctls are fakes, drop-ins and UAPI sockets go under `dir`, and as root
// its links, routes and sockets live in a namespace of its own. Without
// root, making a device fails as it does for any unprivileged user.
class confinement {
public:
  explicit confinement(const scratch_dir& dir) : dir_(dir.path()) {
    if (running_as_root()) {
      ns_ = std::make_unique<network_namespace>("core");
      REQUIRE(ns_->ok());
    }
  }

  embedded_options options(const std::string& data_dir) const {
    embedded_options o;
    o.data_dir = data_dir;
    o.host.runner = runner;
    o.host.sysctl = sysctls;
    o.host.dropin_root = dir_ + "/host";
    o.host.uapi_dir = dir_ + "/wg";
    if (ns_)
      o.host.netns = "/run/netns/" + ns_->name();
    return o;
  }

  const network_namespace* ns() const { return ns_.get(); }

  std::shared_ptr<recording_runner> runner = std::make_shared<recording_runner>();
  std::shared_ptr<fake_sysctls> sysctls = std::make_shared<fake_sysctls>();

private:
  std::string dir_;
  std::unique_ptr<network_namespace> ns_;
};


// A scratch directory, its confinement and an embedded daemon started on
// them, with its data in <dir><data_subdir>.
struct confined_daemon {
  explicit confined_daemon(const std::string& data_subdir = "") : host(dir) {
    auto started = embedded_daemon::start(host.options(dir.path() + data_subdir));
    REQUIRE(started.ok());
    daemon = std::move(*started);
  }
  embedded_daemon& operator*() { return *daemon; }
  embedded_daemon* operator->() { return daemon.get(); }

  scratch_dir dir;
  confinement host;
  std::unique_ptr<embedded_daemon> daemon;
};

inline msg::response wait(std::future<msg::response> f) {
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return f.get();
}

inline std::string error_of(const msg::response& r) {
  REQUIRE(std::holds_alternative<msg::error_result>(r));
  return std::get<msg::error_result>(r).message;
}

} // namespace overlayd::testing
