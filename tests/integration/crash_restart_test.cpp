// issue 13, "crash and restart": overlayd is killed with SIGKILL at random
// moments while containers attach and detach, services are set up and torn
// down and peers are added, then started again on the same data dir, many
// times over. After every restart: no two live containers share an
// address, a container whose attach was answered keeps its address until
// its detach, the Dedicated service keeps its identity, and no setup
// fails (with "File exists" or anything else). After the final teardown
// no link overlayd made is left, and neither file overlayd keeps is ever
// found damaged (root: everything runs in namespaces the
// test makes). OVERLAYD_CRASH_ROUNDS and OVERLAYD_CRASH_SEED override the
// defaults; the seed is printed so a failure can be replayed.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "net/wireguard/keys.hpp"
#include "netns.hpp"
#include "overlay_fixtures.hpp"
#include "platform/attachment_file_json.hpp"
#include "platform/state_file_json.hpp"
#include "support/files.hpp"

using overlayd::app::client_connection;
using overlayd::testing::container;
using overlayd::testing::daemon_process;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;

namespace {

constexpr int container_count = 6;

unsigned env_or(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

// Addresses on eth0 and eth1 inside a container ("" when it has none).
std::map<std::string, std::string> addresses_of(const container& c) {
  std::map<std::string, std::string> out;
  for (const char* dev : {"eth0", "eth1"}) {
    // "2: eth0    inet 10.200.187.130/26 brd ..."
    auto line = c.ns.output_of(std::string("ip -o -4 addr show dev ") + dev);
    auto at = line.find("inet ");
    if (at == std::string::npos)
      continue;
    at += 5;
    out[dev] = line.substr(at, line.find('/', at) - at);
  }
  return out;
}

std::string overlayd_links(const network_namespace& ns) {
  // Runs inside sh -c '...': no single quotes here.
  return ns.output_of("ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d \" \" "
                      "| grep -E \"^(zl-|veth-|vc-)\" || true");
}

struct identity {
  std::string key;
  std::uint16_t port = 0;
  std::string interface;
  bool operator==(const identity& o) const {
    return key == o.key && port == o.port && interface == o.interface;
  }
};

// One daemon's life: requests until the killer ends it.
class life {
public:
  life(const std::string& dir, const network_namespace& ns)
      : daemon_(std::make_unique<daemon_process>(dir, std::vector<std::string>{}, &ns)) {}

  bool started() const { return daemon_->started(); }
  daemon_process& daemon() { return *daemon_; }

  bool connect() {
    auto c = client_connection::connect(daemon_->socket_path());
    if (!c)
      return false;
    conn_ = std::make_unique<client_connection>(std::move(*c));
    return true;
  }

  // The answer, or nullopt when the daemon died under the request. Any
  // error answer fails the test: nothing here may fail in a healthy run.
  std::optional<msg::response> ask(const std::string& what, const msg::request& r) {
    in_flight = what;
    auto answer = conn_->call(r);
    if (!answer)
      return std::nullopt;
    if (auto* e = std::get_if<msg::error_result>(&*answer)) {
      INFO(what << " failed: " << e->message);
      CHECK(e->message.find("File exists") == std::string::npos);
      FAIL_CHECK(what << ": " << e->message);
    }
    return std::move(*answer);
  }

  std::string in_flight = "start";
  // Set by the killer just before its SIGKILL: a request that fails before
  // is a crash of the daemon's own.
  std::atomic<bool> killed{false};
  // The setups are done (the killer's clock may start).
  std::atomic<bool> working{false};

private:
  std::unique_ptr<daemon_process> daemon_;
  std::unique_ptr<client_connection> conn_;
};

std::string random_key(std::mt19937& rng) {
  overlayd::net::wg::key32 key{};
  for (auto& b : key)
    b = static_cast<std::uint8_t>(rng());
  return overlayd::net::wg::key_to_base64(key);
}

} // namespace

TEST_CASE("kill -9 at random points: leases, identities and plumbing survive",
          "[integration][root][crash]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  const unsigned rounds = env_or("OVERLAYD_CRASH_ROUNDS", 30);
  const unsigned seed = env_or("OVERLAYD_CRASH_SEED", std::random_device{}());
  std::cout << "crash test: seed " << seed << ", " << rounds << " rounds" << std::endl;
  std::mt19937 rng(seed);
  network_namespace node("crash-node");
  REQUIRE(node.ok());
  temp_dir dir;
  std::vector<std::unique_ptr<container>> containers;
  for (int i = 0; i < container_count; ++i) {
    containers.push_back(std::make_unique<container>(("crash-c" + std::to_string(i)).c_str()));
    REQUIRE(containers.back()->pid != 0);
  }
  const msg::setup_global_overlay global{"crash", "n1", "10.200.0.0/16", "10.200.0.0/24",
                                         51820, false, {}, {}};
  std::optional<identity> dedicated;
  // What answered attaches promise: container index -> its eth0 address.
  std::map<int, std::string> answered;
  std::map<std::string, int> kill_points;
  unsigned operations = 0;
  unsigned interrupted_intents = 0;
  const auto started_at = std::chrono::steady_clock::now();

  for (unsigned round = 0; round <= rounds; ++round) {
    INFO("seed " << seed << ", round " << round);
    // -- what the last life left: checked on the host, daemon down ------------
    std::set<int> plumbed;
    std::map<std::string, int> holder;
    for (int i = 0; i < container_count; ++i) {
      auto addresses = addresses_of(*containers[i]);
      if (addresses.count("eth0"))
        plumbed.insert(i);
      for (const auto& [dev, ip] : addresses) {
        INFO("container " << i << " " << dev << " " << ip);
        CHECK(holder.emplace(ip, i).second); // no address twice
      }
    }
    // Both files whole, whatever the kill interrupted.
    const auto records = overlayd::testing::read_file(dir.path() + "/attachments.json");
    const auto state = overlayd::testing::read_file(dir.path() + "/agent_network.json");
    if (!records.empty())
      CHECK(overlayd::platform::parse_attachments_json(records).problems.empty());
    if (!state.empty())
      CHECK(overlayd::platform::parse_state_json(state).problems.empty());
    CHECK(!std::filesystem::exists(dir.path() + "/attachments.json.corrupt"));
    CHECK(!std::filesystem::exists(dir.path() + "/agent_network.json.corrupt"));
    // Attaches the kill cut between their intent and its confirmation.
    for (auto at = records.find("\"intent\""); at != std::string::npos;
         at = records.find("\"intent\"", at + 1))
      ++interrupted_intents;
    for (const auto& [i, ip] : answered) {
      INFO("container " << i << " was answered " << ip);
      CHECK(addresses_of(*containers[i])["eth0"] == ip);
    }

    // -- a new life: setups must succeed, the identity must stay -------------
    life l(dir.path(), node);
    REQUIRE(l.started());
    REQUIRE(l.connect());
    const bool last = round == rounds;
    // Most lives are killed while working, some while starting or setting
    // up; the clock of the former starts with the work, so that a slow,
    // busy machine shifts no kills into the setups.
    const bool during_setup = rng() % 5 == 0;
    std::uniform_int_distribution<int> delay_ms(0, during_setup ? 80 : 300);
    std::thread killer;
    if (!last)
      killer = std::thread([&l, during_setup, delay = delay_ms(rng)] {
        while (!during_setup && !l.working)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        l.killed = true;
        l.daemon().signal(SIGKILL);
      });
    auto life_over = [&] {
      CHECK(l.killed.load()); // not a crash of its own
      ++kill_points[l.in_flight];
      l.working = true; // a killer still waiting ends
      if (killer.joinable())
        killer.join();
      l.daemon().wait_exit(10);
      CHECK(!l.daemon().running());
    };
    bool alive = l.ask("setup_global_overlay", global).has_value()
                 && l.ask("setup web", msg::setup_service_overlay{"web", msg::overlay_mode::automatic})
                      .has_value();
    if (alive) {
      auto ded = l.ask("setup ded", msg::setup_service_overlay{"ded", msg::overlay_mode::dedicated});
      alive = ded.has_value();
      if (alive) {
        auto status = l.ask("status", msg::status{});
        alive = status.has_value();
        if (alive) {
          const auto& info = std::get<msg::service_overlay_info>(*ded);
          identity now{info.wg_public_key.value_or(""), info.wg_port.value_or(0), ""};
          for (const auto& d : std::get<msg::status_snapshot>(*status).dedicated_services)
            if (d.service == "ded")
              now.interface = d.interface;
          if (!dedicated)
            dedicated = now;
          CHECK(now == *dedicated);
        }
      }
    }
    if (!alive) {
      life_over();
      continue;
    }
    if (last) {
      // The main daemon's full teardown, without tearing the services down
      // one by one: nothing of overlayd is left, not even a bridge of an
      // earlier life ("tmp") nobody set up in this one.
      CHECK(l.ask("shutdown", msg::shutdown{}).has_value());
      CHECK(l.daemon().wait_exit(10) == 0);
      CHECK(overlayd_links(node).empty());
      for (const auto& c : containers)
        CHECK(addresses_of(*c).empty());
      CHECK(overlayd::testing::read_file(dir.path() + "/attachments.json").find("\"pid\"")
            == std::string::npos);
      break;
    }

    // -- work until killed -------------------------------------------------
    l.working = true;
    std::set<int> attached = plumbed;
    bool tmp_up = false;
    for (;;) {
      std::optional<msg::response> answer;
      const int pick = static_cast<int>(rng() % container_count);
      const auto& c = *containers[pick];
      switch (rng() % 8) {
      case 0:
      case 1:
      case 2: // attach, or detach one that is attached
        if (attached.count(pick)) {
          answer = l.ask("detach", msg::detach_container{msg::linux_pid_handle{c.pid}});
          answered.erase(pick);
          if (answer)
            attached.erase(pick);
          break;
        }
        answer = l.ask("attach", msg::attach_container{msg::linux_pid_handle{c.pid},
                                                       pick % 2 ? "web" : "ded", rng() % 2 == 0,
                                                       false, {}, {}, {}});
        if (answer && std::holds_alternative<msg::attach_result>(*answer)) {
          attached.insert(pick);
          answered[pick] = std::get<msg::attach_result>(*answer).ip.to_string();
        }
        break;
      case 3:
      case 4:
        answer = l.ask("detach", msg::detach_container{msg::linux_pid_handle{c.pid}});
        answered.erase(pick);
        if (answer)
          attached.erase(pick);
        break;
      case 5:
        answer = tmp_up ? l.ask("teardown tmp", msg::teardown_service_overlay{"tmp"})
                        : l.ask("setup tmp", msg::setup_service_overlay{
                                               "tmp", msg::overlay_mode::automatic});
        if (answer)
          tmp_up = !tmp_up;
        break;
      case 6:
        answer = l.ask("add_peer",
                       msg::add_peer{msg::peer_spec{random_key(rng), "192.0.2.7:51820",
                                                    "10.201." + std::to_string(rng() % 250)
                                                      + ".0/24",
                                                    0, {}},
                                     msg::global_scope{}});
        break;
      default:
        answer = l.ask("status", msg::status{});
      }
      if (!answer)
        break;
      ++operations;
    }
    life_over();
  }

  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                     - started_at)
                         .count();
  std::ostringstream points;
  unsigned kills = 0;
  for (const auto& [what, n] : kill_points) {
    points << " " << what << "=" << n;
    kills += static_cast<unsigned>(n);
  }
  std::cout << "crash test: " << rounds << " rounds, " << kills << " kills, " << operations
            << " answered operations, " << interrupted_intents
            << " attach intents found unconfirmed at a restart, in " << seconds
            << " s; killed during:" << points.str() << std::endl;
  CHECK(kills == rounds);
}
