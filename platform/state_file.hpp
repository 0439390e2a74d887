// state_file: loads and saves the persisted network state
// (<data dir>/agent_network.json, mechanics.md 2) the way DECISIONS.md 12
// asks: written 0600, fsync'ed and renamed into place; a file with problems
// is kept aside as *.corrupt and its good entries are still loaded.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/network_state.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

class state_file {
public:
  explicit state_file(std::string path);

  const std::string& path() const noexcept { return path_; }

  struct load_outcome {
    net::network_state state;
    // Each problem names the file; none for a missing file.
    std::vector<std::string> problems;
    // Where the problematic file was moved: <path>.corrupt, or
    // <path>.corrupt.N when earlier copies exist (never overwritten).
    std::optional<std::string> corrupt_copy;
  };

  // A missing file is an empty state. After a load with problems the file
  // is no longer at path(); save() the returned state to put its good
  // entries back on disk.
  load_outcome load() const;

  // write_file_atomically (atomic_file.hpp): a crash leaves the old file
  // or the new one, never half of one.
  result<void> save(const net::network_state& state) const;

private:
  std::string path_;
};

} // namespace overlayd::platform
