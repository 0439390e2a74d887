// state_file_json: the JSON form of the persisted network state
// (agent_network.json, mechanics.md 2), kept apart from the pure data in
// net/network_state.hpp so that net/ needs no codec.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/network_state.hpp"

namespace overlayd::platform {

// serde_json's pretty form of the file: 2-space indent, fields in the
// spec's order, absent optionals left out, no trailing newline.
std::string to_state_json(const net::network_state& state);

struct state_parse {
  net::network_state state;
  // One line per rejected entry ("networks[1].owner: missing field") or a
  // single line when the document itself is unusable. Values are never
  // quoted, so key material cannot leak into logs.
  std::vector<std::string> problems;
};

// Keeps every good entry (DECISIONS.md 12). Missing `version` is 1, missing
// `networks` is empty, unknown fields are ignored, `null` optionals are
// absent.
state_parse parse_state_json(std::string_view text);

} // namespace overlayd::platform
