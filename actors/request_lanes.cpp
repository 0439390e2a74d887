#include "actors/request_lanes.hpp"

#include <utility>

namespace overlayd {

bool request_lanes::overlap(const resources& a, const std::multiset<std::string>& b) {
  if (b.empty() || a.empty())
    return false;
  if (a.count(every_resource) || b.count(every_resource))
    return true;
  for (const auto& r : a)
    if (b.count(r))
      return true;
  return false;
}

request_lanes::job_id request_lanes::enqueue(resources touched) {
  if (touched.empty())
    touched.insert(every_resource); // a mutation that names nothing is ordered with all
  queue_.push_back(job{next_, std::move(touched)});
  return next_++;
}

std::vector<request_lanes::job_id> request_lanes::startable() {
  std::vector<job_id> start;
  std::multiset<std::string> waiting; // resources of earlier jobs still queued
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (overlap(it->touched, busy_) || overlap(it->touched, waiting)) {
      waiting.insert(it->touched.begin(), it->touched.end());
      ++it;
      continue;
    }
    busy_.insert(it->touched.begin(), it->touched.end());
    start.push_back(it->id);
    running_.emplace(it->id, std::move(it->touched));
    it = queue_.erase(it);
  }
  return start;
}

void request_lanes::finish(job_id id) {
  auto it = running_.find(id);
  if (it == running_.end())
    return;
  for (const auto& r : it->second)
    busy_.erase(busy_.find(r));
  running_.erase(it);
}

} // namespace overlayd
