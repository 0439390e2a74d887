// logging: where the daemon's log lines go.
//
// Always stderr. On a terminal or into a file it is timestamped and
// coloured by level; under systemd (JOURNAL_STREAM set, stderr connected to
// the journal) each line instead starts with its syslog priority, <3> for
// an error down to <7> for debug, which journald takes as the entry's level
// (sd-daemon(3)), and carries no timestamp of its own, the journal's being
// better. With --log-file the same lines also go to that file, which SIGHUP
// reopens: logrotate moves it away, signals, and the next line starts a new one.
#pragma once

#include <optional>
#include <string>

#include "net/base/result.hpp"

namespace overlayd::app {

// Sets up the default logger. The file is opened (created, appended to) here.
result<void> configure_logging(const std::string& level, const std::optional<std::string>& file);

// Opens the log file's path anew (after a rotation); on failure the old
// file stays in use. Nothing to do without --log-file.
result<void> reopen_log_file();

} // namespace overlayd::app
