#include "net/wireguard/crypto_workers.hpp"

#include <algorithm>

namespace overlayd::net::wg {

crypto_workers::crypto_workers(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this] { run_worker(); });
}

crypto_workers::~crypto_workers() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  batch_ready_.notify_all();
  for (auto& t : workers_)
    t.join();
}

void crypto_workers::run(std::size_t count, const part_work& work) {
  if (workers_.empty() || count < min_parallel_batch) {
    work(0, count);
    return;
  }
  {
    std::lock_guard guard(mutex_);
    work_ = &work;
    count_ = count;
    parts_ = std::min<std::size_t>(threads(), count);
    next_part_ = 0;
    parts_done_ = 0;
    ++generation_;
  }
  batch_ready_.notify_all();
  work_parts();
  std::unique_lock guard(mutex_);
  batch_done_.wait(guard, [this] { return parts_done_ == parts_; });
  work_ = nullptr;
}

void crypto_workers::work_parts() {
  for (;;) {
    const part_work* work = nullptr;
    std::size_t begin = 0;
    std::size_t end = 0;
    {
      std::lock_guard guard(mutex_);
      if (work_ == nullptr || next_part_ == parts_)
        return;
      std::size_t part = next_part_++;
      work = work_;
      begin = count_ * part / parts_;
      end = count_ * (part + 1) / parts_;
    }
    (*work)(begin, end);
    std::lock_guard guard(mutex_);
    if (++parts_done_ == parts_)
      batch_done_.notify_one();
  }
}

void crypto_workers::run_worker() {
  unsigned long seen = 0;
  for (;;) {
    {
      std::unique_lock guard(mutex_);
      batch_ready_.wait(guard, [&] { return stopping_ || generation_ != seen; });
      if (stopping_)
        return;
      seen = generation_;
    }
    work_parts();
  }
}

unsigned default_crypto_threads(unsigned hardware_threads) noexcept {
  if (hardware_threads <= 2)
    return 1;
  return std::min(hardware_threads / 2, 4u);
}

} // namespace overlayd::net::wg
