#include "platform/attachment_file.hpp"

#include <utility>

#include "platform/atomic_file.hpp"
#include "platform/attachment_file_json.hpp"

namespace overlayd::platform {

attachment_file::attachment_file(std::string path) : path_(std::move(path)) {}

attachment_file::load_outcome attachment_file::load() const {
  load_outcome out;
  auto found = read_keeping_damage(path_, [&out](const std::string& text) {
    auto parsed = parse_attachments_json(text);
    out.records = std::move(parsed.records);
    return std::move(parsed.problems);
  });
  out.problems = std::move(found.problems);
  out.corrupt_copy = std::move(found.corrupt_copy);
  return out;
}

result<void> attachment_file::save(const net::attachment_records& records) const {
  return write_file_atomically(path_, to_attachments_json(records));
}

} // namespace overlayd::platform
