#include "platform/bridge_file.hpp"

#include <net/if.h> // IFNAMSIZ

#include <utility>

#include "messages/json.hpp"
#include "messages/value.hpp"
#include "platform/atomic_file.hpp"

namespace overlayd::platform {

using msg::value;

std::string to_bridges_json(const std::vector<std::string>& names) {
  value::array_type items(names.begin(), names.end());
  auto root = value::make_object();
  root.add("version", std::uint64_t{1});
  root.add("bridges", std::move(items));
  return msg::to_json_pretty(root);
}

bridges_parse parse_bridges_json(std::string_view text) {
  bridges_parse out;
  auto doc = msg::parse_json(text);
  if (!doc) {
    out.problems.push_back("not valid JSON: " + doc.error_message());
    return out;
  }
  const value* items = doc->is_object() ? doc->find("bridges") : nullptr;
  if (items == nullptr || !items->is_array()) {
    out.problems.push_back("no \"bridges\" array");
    return out;
  }
  const auto& list = items->as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& v = list[i];
    if (v.is_string() && !v.as_string().empty() && v.as_string().size() < IFNAMSIZ)
      out.names.push_back(v.as_string());
    else
      out.problems.push_back("bridges[" + std::to_string(i) + "]: not an interface name");
  }
  return out;
}

bridge_file::bridge_file(std::string path) : path_(std::move(path)) {}

bridge_file::load_outcome bridge_file::load() const {
  load_outcome out;
  auto found = read_keeping_damage(path_, [&out](const std::string& text) {
    auto parsed = parse_bridges_json(text);
    out.names = std::move(parsed.names);
    return std::move(parsed.problems);
  });
  out.problems = std::move(found.problems);
  out.corrupt_copy = std::move(found.corrupt_copy);
  return out;
}

result<void> bridge_file::save(const std::vector<std::string>& names) const {
  return write_file_atomically(path_, to_bridges_json(names));
}

} // namespace overlayd::platform
