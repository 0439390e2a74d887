// crypto_workers: the threads that seal or open one batch of packets
// together (issue 14: every core used, order kept). The batch's thread
// splits the packets into parts, wakes the workers, works on parts itself
// and returns once every part is done: a fork and a join per batch.
// Waking a sleeping thread costs tens of microseconds on a VM, as much as
// sealing half a batch, so a worker that finished a part, and the batch's
// thread waiting for the last part, spin for a while (spin_time) before
// they sleep: under steady traffic nobody sleeps between batches.
// Packets never change places, so each peer's packets leave in the order
// they came, and everything that must be sequential (counters, the replay
// window, routing) stays on the batch's thread, before and after.
//
// A worker that has not woken yet when the batch's thread runs out of its
// own parts leaves its part to that thread, which takes parts until none
// is left: on a loaded machine a batch is never slower than one thread
// plus the wake-ups. Small batches (a ping, a handshake's first packet,
// a few small packets) stay on the batch's thread: handing out parts
// costs more than they do.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace overlayd::net::wg {

class crypto_workers {
public:
  // Works on [begin, end) of the batch.
  using part_work = std::function<void(std::size_t begin, std::size_t end)>;

  // `threads` counts the batch's own thread: 1 starts no worker.
  explicit crypto_workers(unsigned threads = 1);
  ~crypto_workers();
  crypto_workers(const crypto_workers&) = delete;
  crypto_workers& operator=(const crypto_workers&) = delete;

  unsigned threads() const noexcept { return static_cast<unsigned>(workers_.size()) + 1; }

  // Runs `work` over [0, count) in parts and returns when all are done.
  // `bytes` is what the batch seals or opens: under min_parallel_bytes it
  // stays on the calling thread. One batch at a time: each direction of a
  // device has its own workers.
  void run(std::size_t count, std::size_t bytes, const part_work& work);

  // About 8 us of sealing: less is not worth a worker's time.
  static constexpr std::size_t min_parallel_bytes = 16 * 1024;
  static constexpr std::chrono::microseconds spin_time{100};

private:
  void run_worker();
  // Claims and works parts of the current batch until none is left.
  void work_parts();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable batch_ready_;
  std::condition_variable batch_done_;
  std::atomic<bool> stopping_{false};
  // The current batch: changed under mutex_; the two atomics are also
  // watched while spinning.
  std::atomic<unsigned long> generation_{0};
  std::atomic<std::size_t> parts_done_{0};
  const part_work* work_ = nullptr;
  std::size_t count_ = 0;
  std::size_t parts_ = 0;
  std::size_t next_part_ = 0;
};

// The default for --threads: how many threads seal (and as many open) per
// device. Measured on the 2-core VM both daemons of the benchmark share,
// one thread per direction is fastest there (the note of issue 14); on
// larger machines each direction takes up to half the cores, at most 4.
unsigned default_crypto_threads(unsigned hardware_threads) noexcept;

} // namespace overlayd::net::wg
