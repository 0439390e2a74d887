#include "platform/orphan_veth_sweep.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "net/orphan_veths.hpp"
#include "platform/links.hpp"
#include "platform/netlink.hpp"

namespace overlayd::platform {

bool process_exists(std::uint32_t pid) {
  return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

std::vector<std::string> sweep_orphan_veths() {
  return sweep_orphan_veths(process_exists);
}

std::vector<std::string> sweep_orphan_veths(const std::function<bool(std::uint32_t)>& pid_alive) {
  auto links = list_all_links();
  if (!links) {
    spdlog::warn("orphan veth sweep skipped: {}", links.error_message());
    return {};
  }
  std::vector<std::string> names;
  names.reserve(links->size());
  for (const auto& link : *links)
    names.push_back(link.name);
  std::vector<std::string> deleted;
  for (const auto& name : net::select_orphan_veths(names, pid_alive)) {
    if (auto removed = delete_link(name); !removed) {
      spdlog::warn("orphan veth {} not deleted: {}", name, removed.error_message());
      continue;
    }
    spdlog::info("deleted orphan veth {} (its process is gone)", name);
    deleted.push_back(name);
  }
  return deleted;
}

} // namespace overlayd::platform
