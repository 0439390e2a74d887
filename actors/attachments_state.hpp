// What the attachments actor records: each attachment until its detach,
// and each isolation network's members (mechanics.md 7.7-7.11).
#pragma once

#include <caf/typed_response_promise.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/attachments.hpp"

namespace overlayd {

struct attachments_state {
  static inline const char* name = "attachments";

  ipam_actor ipam;
  bridge_manager_actor bridges;

  // Linux containers by pid, host-shared containers by their id.
  struct attachment {
    net::ip_address service_ip;
    std::string service;
    std::optional<net::ip_address> global_ip;
    bool ephemeral = false;
    std::optional<std::string> isolation_network;
  };
  std::map<std::uint32_t, attachment> attached;
  std::map<std::string, attachment> host_shared;

  // VM guests by their id.
  struct guest {
    net::ip_address overlay_ip;
    std::string public_key; // base64
    std::string service;    // the pool it came from; empty: the node slice
    std::optional<std::string> isolation_network;
  };
  std::map<std::string, guest> guests;

  // Isolation networks: their members' eth0 addresses (mechanics 7.11).
  std::map<std::string, std::set<net::ip_address>> network_members;

  // Until the records of the last run are checked against the host
  // (attachment_recovery.hpp), orders wait here, in arrival order: a
  // detach must find the record it ends.
  bool recovered = false;
  std::vector<std::function<void()>> waiting;
};

using attachments_pointer = attachments_actor::stateful_pointer<attachments_state>;
using attach_promise = caf::typed_response_promise<attach_outcome>;
using detach_promise = caf::typed_response_promise<detach_outcome>;

// An attach that did not happen: the spec's error, nothing recorded.
inline attach_outcome refused(std::string message) {
  return attach_outcome{msg::response{msg::error_result{std::move(message)}}, std::nullopt,
                        std::nullopt};
}

} // namespace overlayd
