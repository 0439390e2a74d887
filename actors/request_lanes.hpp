// request_lanes: which queued mutations may start (DECISIONS.md 3, as
// issue 11 refines it). Each mutation names the resources it changes
// ("service:web", "container:pid:42", "global-peers"; "*" is every
// resource). Mutations that share a resource run one at a time in arrival
// order; mutations of different resources run side by side. A queued job
// never overtakes an earlier queued job it shares a resource with.
//
// Plain bookkeeping without actors, so the rules are tested on their own;
// the coordinator runs what startable() hands out.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace overlayd {

inline constexpr const char* every_resource = "*";

class request_lanes {
public:
  using job_id = std::uint64_t;
  using resources = std::set<std::string>;

  // Queues a job; it runs once startable() hands it out.
  job_id enqueue(resources touched);

  // The queued jobs that may run now, in arrival order; they count as
  // running until finish().
  std::vector<job_id> startable();

  void finish(job_id id);

  std::size_t queued() const { return queue_.size(); }
  std::size_t running() const { return running_.size(); }

private:
  struct job {
    job_id id;
    resources touched;
  };
  static bool overlap(const resources& a, const std::multiset<std::string>& b);

  job_id next_ = 1;
  std::deque<job> queue_;
  std::map<job_id, resources> running_;
  std::multiset<std::string> busy_; // the resources of the running jobs
};

} // namespace overlayd
