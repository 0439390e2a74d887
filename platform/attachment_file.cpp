#include "platform/attachment_file.hpp"

#include <utility>

#include "platform/atomic_file.hpp"
#include "platform/attachment_file_json.hpp"

namespace overlayd::platform {

attachment_file::attachment_file(std::string path) : path_(std::move(path)) {}

attachment_file::load_outcome attachment_file::load() const {
  load_outcome out;
  auto content = read_whole_file(path_);
  if (content && !*content)
    return out;
  if (!content) {
    out.problems.push_back(content.error_message());
  } else {
    auto parsed = parse_attachments_json(**content);
    out.records = std::move(parsed.records);
    for (auto& problem : parsed.problems)
      out.problems.push_back("load(" + path_ + "): " + problem);
  }
  if (out.problems.empty())
    return out;
  if (auto copy = keep_aside_as_corrupt(path_))
    out.corrupt_copy = std::move(*copy);
  else
    out.problems.push_back(copy.error_message());
  return out;
}

result<void> attachment_file::save(const net::attachment_records& records) const {
  return write_file_atomically(path_, to_attachments_json(records));
}

} // namespace overlayd::platform
