// attachment_file: loads and saves the attachment records
// (<data dir>/attachments.json, net/attachment_records.hpp) with
// write_file_atomically, so a crash never leaves half a file. A file with
// problems is kept aside as *.corrupt and its good entries are loaded: an
// entry lost would be a lease handed out twice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/attachment_records.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

class attachment_file {
public:
  explicit attachment_file(std::string path);

  const std::string& path() const noexcept { return path_; }

  struct load_outcome {
    net::attachment_records records;
    std::vector<std::string> problems; // each names the file; none when it is missing
    std::optional<std::string> corrupt_copy; // where a file with problems went
  };

  // A missing file holds no records. After a load with problems the file is
  // no longer at path(): save() the records to put the good ones back.
  load_outcome load() const;

  result<void> save(const net::attachment_records& records) const;

private:
  std::string path_;
};

} // namespace overlayd::platform
