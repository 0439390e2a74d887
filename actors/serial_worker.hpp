// serial_worker: one thread that runs posted tasks in the order posted. The
// gateway decodes large frames on it, so that the socket's loop thread,
// which every client shares, only ever does small amounts of work.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace overlayd {

class serial_worker {
public:
  // `name` is the thread's name (at most 15 characters show in ps).
  explicit serial_worker(std::string name);
  // Tasks not yet started are dropped; the running one finishes first.
  ~serial_worker();
  serial_worker(const serial_worker&) = delete;
  serial_worker& operator=(const serial_worker&) = delete;

  // Any thread.
  void post(std::function<void()> task);

private:
  void run();

  std::string name_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_; // last: started once the rest exists
};

} // namespace overlayd
