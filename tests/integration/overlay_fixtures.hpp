// What the root tests build again and again: a node (a namespace running
// overlayd), a container (a sleeping process in a namespace of its own), and
// a call that must get an answer.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "netns.hpp"

namespace overlayd::testing {

inline msg::response call(app::client_connection& c, const msg::request& r) {
  auto response = c.call(r);
  REQUIRE(response.ok());
  return *response;
}

inline std::string error_of(const msg::response& r) {
  auto* e = std::get_if<msg::error_result>(&r);
  return e ? e->message : std::string("(no error)");
}

struct overlay_node {
  explicit overlay_node(const char* label, std::vector<std::string> daemon_args = {})
      : ns(label), daemon(dir.path(), std::move(daemon_args), &ns) {}

  network_namespace ns;
  temp_dir dir;
  daemon_process daemon;
};

struct container {
  explicit container(const char* label) : ns(label) {
    ns.run("sleep 600 >/dev/null 2>&1 &");
    auto pids = ns.output_of("ip netns pids " + ns.name());
    pid = static_cast<std::uint32_t>(std::stoul(pids.empty() ? "0" : pids));
  }

  network_namespace ns;
  std::uint32_t pid = 0;
};

} // namespace overlayd::testing
