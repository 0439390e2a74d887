#include "netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "files.hpp"

namespace overlayd::testing {

namespace {

std::atomic<int> namespace_counter{0};

int shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

network_namespace::network_namespace(const std::string& label)
    : name_("ovd-" + std::to_string(::getpid()) + "-" + std::to_string(namespace_counter++) + "-"
            + label),
      run_dir_("/tmp/" + name_ + "-run") {
  ok_ = shell("mkdir -p " + run_dir_) == 0 && shell("ip netns add " + name_) == 0
        && run("ip link set lo up") == 0;
}

network_namespace::~network_namespace() {
  shell("ip netns pids " + name_ + " 2>/dev/null | xargs -r kill -9 2>/dev/null");
  shell("ip netns del " + name_ + " 2>/dev/null");
  shell("rm -rf " + run_dir_);
}

// `ip netns exec` gives the command a mount namespace of its own already;
// unshare (private propagation) makes sure of it before /run is covered.
// /run/netns stays visible, so that `ip ... netns <other>` still works.
std::string network_namespace::inside(const std::string& command) const {
  return "ip netns exec " + name_ + " unshare --mount sh -c 'mkdir -p " + run_dir_
         + "/netns && mount --rbind /run/netns " + run_dir_ + "/netns && mount --rbind "
         + run_dir_ + " /run || exit 97; " + command + "'";
}

int network_namespace::run(const std::string& command) const {
  return shell(inside(command));
}

std::string network_namespace::output_of(const std::string& command) const {
  return command_output(inside(command) + " 2>/dev/null");
}

void network_namespace::enter(const std::function<void()>& work) const {
  std::thread inside([&] {
    int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0)
      std::abort(); // never run the work in the machine's own namespace
    ::close(fd);
    work();
  });
  inside.join();
}

bool connect_namespaces(const network_namespace& a, const std::string& a_address,
                        const network_namespace& b, const std::string& b_address) {
  // Created inside `a`, so no interface ever appears in the machine's own
  // namespace, not even for a moment.
  return a.run("ip link add veth-a type veth peer name veth-b netns " + b.name()) == 0
         && a.run("ip addr add " + a_address + " dev veth-a && ip link set veth-a up") == 0
         && b.run("ip addr add " + b_address + " dev veth-b && ip link set veth-b up") == 0;
}

} // namespace overlayd::testing
