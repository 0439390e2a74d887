#include "platform/state_file.hpp"

#include <utility>

#include "platform/atomic_file.hpp"
#include "platform/state_file_json.hpp"

namespace overlayd::platform {

state_file::state_file(std::string path) : path_(std::move(path)) {}

state_file::load_outcome state_file::load() const {
  load_outcome out;
  auto content = read_whole_file(path_);
  if (content && !*content)
    return out; // missing: an empty state
  if (!content) {
    out.problems.push_back(content.error_message());
  } else {
    auto parsed = parse_state_json(**content);
    out.state = std::move(parsed.state);
    for (auto& problem : parsed.problems)
      out.problems.push_back("load(" + path_ + "): " + problem);
  }
  if (out.problems.empty())
    return out;
  // Keep the evidence: the next save would otherwise overwrite it.
  auto copy = keep_aside_as_corrupt(path_);
  if (copy)
    out.corrupt_copy = std::move(*copy);
  else
    out.problems.push_back(copy.error_message());
  return out;
}

result<void> state_file::save(const net::network_state& state) const {
  return write_file_atomically(path_, to_state_json(state));
}

} // namespace overlayd::platform
