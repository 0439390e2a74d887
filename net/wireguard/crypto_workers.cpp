#include "net/wireguard/crypto_workers.hpp"

#include <algorithm>

namespace overlayd::net::wg {

namespace {

// Spins until `done()` or spin_time has passed; whether it is done.
template <typename Done> bool spin_until(Done done) {
  auto until = std::chrono::steady_clock::now() + crypto_workers::spin_time;
  for (unsigned i = 0;; ++i) {
    if (done())
      return true;
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= until)
      return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

} // namespace

crypto_workers::crypto_workers(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this] { run_worker(); });
}

crypto_workers::~crypto_workers() {
  {
    std::lock_guard guard(mutex_);
    stopping_.store(true);
  }
  batch_ready_.notify_all();
  for (auto& t : workers_)
    t.join();
}

void crypto_workers::run(std::size_t count, std::size_t bytes, const part_work& work) {
  if (workers_.empty() || count < 2 || bytes < min_parallel_bytes) {
    work(0, count);
    return;
  }
  {
    std::lock_guard guard(mutex_);
    work_ = &work;
    count_ = count;
    parts_ = std::min<std::size_t>(threads(), count);
    next_part_ = 0;
    parts_done_.store(0);
    generation_.fetch_add(1);
  }
  batch_ready_.notify_all();
  work_parts();
  std::size_t parts = parts_; // only this thread changes it
  if (!spin_until([&] { return parts_done_.load() == parts; })) {
    std::unique_lock guard(mutex_);
    batch_done_.wait(guard, [&] { return parts_done_.load() == parts; });
  }
  std::lock_guard guard(mutex_);
  work_ = nullptr;
}

void crypto_workers::work_parts() {
  for (;;) {
    const part_work* work = nullptr;
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t parts = 0;
    {
      std::lock_guard guard(mutex_);
      if (work_ == nullptr || next_part_ == parts_)
        return;
      std::size_t part = next_part_++;
      work = work_;
      parts = parts_;
      begin = count_ * part / parts_;
      end = count_ * (part + 1) / parts_;
    }
    (*work)(begin, end);
    if (parts_done_.fetch_add(1) + 1 == parts) {
      // Under the lock: the batch's thread may be between its check and its wait.
      std::lock_guard guard(mutex_);
      batch_done_.notify_one();
    }
  }
}

void crypto_workers::run_worker() {
  unsigned long seen = 0;
  for (;;) {
    auto next_batch = [&] { return stopping_.load() || generation_.load() != seen; };
    if (!spin_until(next_batch)) {
      std::unique_lock guard(mutex_);
      batch_ready_.wait(guard, next_batch);
    }
    if (stopping_.load())
      return;
    seen = generation_.load();
    work_parts();
  }
}

unsigned default_crypto_threads(unsigned hardware_threads) noexcept {
  if (hardware_threads <= 2)
    return 1;
  return std::min(hardware_threads / 2, 4u);
}

} // namespace overlayd::net::wg
