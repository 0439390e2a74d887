// Network namespaces a test creates for itself (DESIGN.md safety rules):
// every device, address and route of a root test lives in one of these and
// goes away with it, even when the test fails.
#pragma once

#include <functional>
#include <string>

namespace overlayd::testing {

bool running_as_root();

class network_namespace {
public:
  // A fresh namespace named "ovd-<pid>-<n>-<label>" with its loopback up.
  explicit network_namespace(const std::string& label);
  ~network_namespace(); // kills what runs inside, then deletes it
  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  const std::string& name() const { return name_; }
  bool ok() const { return ok_; }

  // Runs a shell command inside the namespace; its exit status.
  int run(const std::string& command) const;
  // Its standard output (stderr discarded).
  std::string output_of(const std::string& command) const;

  // Runs `work` on a thread that has entered the namespace, and waits.
  void enter(const std::function<void()>& work) const;

private:
  std::string name_;
  bool ok_ = false;
};

// A veth pair between two namespaces with an address on each end
// (e.g. "192.168.77.1/24" and "192.168.77.2/24").
bool connect_namespaces(const network_namespace& a, const std::string& a_address,
                        const network_namespace& b, const std::string& b_address);

} // namespace overlayd::testing
