// command_runner: starting a helper program (iptables, ip6tables,
// networkctl, nmcli) from an argv vector and collecting its exit status and
// output. Names in those argvs come from requests (network names, service
// names), so nothing ever goes through a shell. The interface lets unit tests
// see exactly which commands would run without running them
// (mechanics.md 11, 12).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "net/base/result.hpp"

namespace overlayd::platform {

struct command_output {
  int exit_code = 0; // the program's exit status; 128 + signal when killed
  std::string out;
  std::string err;
};

class command_runner {
public:
  virtual ~command_runner() = default;

  // An error only when the program could not be run at all: not installed
  // ("run(iptables): command not found"), not executable, or stopped after
  // the timeout. A non-zero exit is an ordinary output.
  virtual result<command_output> run(const std::vector<std::string>& argv) = 0;
};

// The real one: posix_spawn with the argv as given, stdin from /dev/null,
// default signal dispositions and an empty signal mask in the child.
// The child inherits the network namespace of the *calling thread*, so code
// run inside a thread that has entered a namespace (setns) drives that
// namespace's firewall. An optional prefix (e.g. {"ip", "netns", "exec",
// "ovd-x"}) is put in front of every argv.
class process_runner final : public command_runner {
public:
  explicit process_runner(std::vector<std::string> prefix = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

  result<command_output> run(const std::vector<std::string>& argv) override;

private:
  std::vector<std::string> prefix_;
  std::chrono::milliseconds timeout_;
};

// Where `program` would be executed from: itself when it holds a '/', else
// the first executable match in $PATH, then /usr/sbin, /sbin, /usr/bin,
// /bin (iptables lives in /usr/sbin, which a non-root $PATH often lacks).
// Empty when there is none.
std::string find_program(const std::string& program);

} // namespace overlayd::platform
