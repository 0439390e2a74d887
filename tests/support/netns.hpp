// Network namespaces a test creates for itself (DESIGN.md safety rules):
// every device, address and route of a root test lives in one of these and
// goes away with it, even when the test fails.
#pragma once

#include <functional>
#include <string>

#include "root_tests.hpp"

namespace overlayd::testing {

class network_namespace {
public:
  // A fresh namespace named "ovd-<pid>-<n>-<label>" with its loopback up.
  explicit network_namespace(const std::string& label);
  ~network_namespace(); // kills what runs inside, then deletes it
  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  const std::string& name() const { return name_; }
  // What `run` and `output_of` see as /run (and /var/run): a directory of
  // its own, so that tools like wg and wireguard-go, which keep their
  // sockets under /var/run/wireguard, leave the machine's /run alone.
  const std::string& run_dir() const { return run_dir_; }
  bool ok() const { return ok_; }

  // Runs a shell command inside the namespace (and a mount namespace where
  // run_dir() is /run); its exit status.
  int run(const std::string& command) const;
  // Its standard output (stderr discarded).
  std::string output_of(const std::string& command) const;

  // Runs `work` on a thread that has entered the namespace, and waits.
  void enter(const std::function<void()>& work) const;

private:
  std::string inside(const std::string& command) const;

  std::string name_;
  std::string run_dir_;
  bool ok_ = false;
};

// A veth pair between two namespaces with an address on each end
// (e.g. "192.168.77.1/24" and "192.168.77.2/24").
bool connect_namespaces(const network_namespace& a, const std::string& a_address,
                        const network_namespace& b, const std::string& b_address);

} // namespace overlayd::testing
