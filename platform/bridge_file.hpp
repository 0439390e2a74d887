// bridge_file: the names of the bridges overlayd made
// (<data dir>/bridges.json, {"version": 1, "bridges": ["zl-...-b", ...]}),
// so that the global teardown after a restart or a crash still deletes the
// bridges of the last run (mechanics.md 9's created_bridges, kept on disk).
// A name is written before its bridge is made; one whose link is gone by
// the next start is dropped then. Saved with write_file_atomically; a
// damaged file is kept aside as *.corrupt, its good names loaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/base/result.hpp"

namespace overlayd::platform {

std::string to_bridges_json(const std::vector<std::string>& names);

struct bridges_parse {
  std::vector<std::string> names;
  std::vector<std::string> problems; // "bridges[1]: not an interface name"
};
bridges_parse parse_bridges_json(std::string_view text);

class bridge_file {
public:
  explicit bridge_file(std::string path);

  const std::string& path() const noexcept { return path_; }

  struct load_outcome {
    std::vector<std::string> names;
    std::vector<std::string> problems; // each names the file; none when it is missing
    std::optional<std::string> corrupt_copy;
  };
  load_outcome load() const;
  result<void> save(const std::vector<std::string>& names) const;

private:
  std::string path_;
};

} // namespace overlayd::platform
