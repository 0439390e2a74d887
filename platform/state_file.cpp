#include "platform/state_file.hpp"

#include <utility>

#include "platform/atomic_file.hpp"
#include "platform/state_file_json.hpp"

namespace overlayd::platform {

state_file::state_file(std::string path) : path_(std::move(path)) {}

state_file::load_outcome state_file::load() const {
  load_outcome out;
  auto found = read_keeping_damage(path_, [&out](const std::string& text) {
    auto parsed = parse_state_json(text);
    out.state = std::move(parsed.state);
    return std::move(parsed.problems);
  });
  out.problems = std::move(found.problems);
  out.corrupt_copy = std::move(found.corrupt_copy);
  return out;
}

result<void> state_file::save(const net::network_state& state) const {
  return write_file_atomically(path_, to_state_json(state));
}

} // namespace overlayd::platform
