// atomic_file: durable whole-file reads and writes for the files overlayd
// must find intact after a crash (the network state, the attachment and
// bridge records). A write goes to <path>.tmp (mode 0600, fsync'ed), is renamed
// over <path>, and the directory is fsync'ed: after a kill -9 or a power
// cut the file is either the old version or the new one, never a mix.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/base/result.hpp"

namespace overlayd::platform {

// The whole file; nullopt when it does not exist. Errors name the call
// and the path ("read(/x): Permission denied").
result<std::optional<std::string>> read_whole_file(const std::string& path);

// Creates the parent directories (0700), then writes `data` atomically and
// durably as described above. The file is 0600 (it may hold keys).
result<void> write_file_atomically(const std::string& path, const std::string& data);

// Moves a damaged file aside to the first free <path>.corrupt[.N] (never
// overwriting an earlier copy, kept as evidence) and makes it private;
// the copy's path.
result<std::string> keep_aside_as_corrupt(const std::string& path);

// What reading a state file found wrong.
struct damage {
  std::vector<std::string> problems;       // each names the file; none when it is missing
  std::optional<std::string> corrupt_copy; // where a file with problems went
};

// Reads the file (a missing one is no problem: `parse` is not called) and
// hands its text to `parse`, which keeps what it can and returns its
// problems. A file with problems, or one that cannot be read, is kept aside
// (keep_aside_as_corrupt): the next save would otherwise overwrite the
// evidence. Problems read "load(<path>): <problem>".
damage read_keeping_damage(const std::string& path,
                           const std::function<std::vector<std::string>(const std::string&)>& parse);

} // namespace overlayd::platform
