#include "app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

namespace overlayd::app {

namespace {

constexpr const char* timestamped = "%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v";

// %* : the line's syslog priority in sd-daemon's <N> form.
class syslog_priority_flag : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    const char* prefix = "<6>";
    switch (message.level) {
    case spdlog::level::trace:
    case spdlog::level::debug: prefix = "<7>"; break;
    case spdlog::level::info: prefix = "<6>"; break;
    case spdlog::level::warn: prefix = "<4>"; break;
    case spdlog::level::err: prefix = "<3>"; break;
    case spdlog::level::critical: prefix = "<2>"; break;
    default: break;
    }
    out.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<syslog_priority_flag>();
  }
};

struct log_file {
  std::string path;
  // Holds the one file sink; swapped whole on reopen, so a line being
  // written goes to the old file or the new one, never nowhere.
  std::shared_ptr<spdlog::sinks::dist_sink_mt> holder;
};

std::optional<log_file>& the_file() {
  static std::optional<log_file> file;
  return file;
}

result<spdlog::sink_ptr> open_file_sink(const std::string& path) {
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
    sink->set_pattern(timestamped);
    return spdlog::sink_ptr(sink);
  } catch (const spdlog::spdlog_ex& e) {
    return make_error("open log file " + path + ": " + e.what());
  }
}

} // namespace

result<void> configure_logging(const std::string& level, const std::optional<std::string>& file) {
  auto to_stderr = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    auto journal = std::make_unique<spdlog::pattern_formatter>();
    journal->add_flag<syslog_priority_flag>('*').set_pattern("%*%v");
    to_stderr->set_formatter(std::move(journal));
  } else {
    to_stderr->set_pattern(timestamped);
  }
  std::vector<spdlog::sink_ptr> sinks{to_stderr};
  if (file) {
    auto opened = open_file_sink(*file);
    if (!opened)
      return opened.err();
    auto holder = std::make_shared<spdlog::sinks::dist_sink_mt>();
    holder->add_sink(*opened);
    sinks.push_back(holder);
    the_file() = log_file{*file, holder};
  }
  auto logger = std::make_shared<spdlog::logger>("overlayd", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  // Each line reaches the file (and stderr) at once: a crash or kill -9
  // loses none, and the lines that matter are few.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return {};
}

result<void> reopen_log_file() {
  auto& file = the_file();
  if (!file)
    return {};
  auto opened = open_file_sink(file->path);
  if (!opened)
    return opened.err();
  file->holder->set_sinks({*opened});
  return {};
}

} // namespace overlayd::app
