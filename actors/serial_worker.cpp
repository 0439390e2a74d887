#include "actors/serial_worker.hpp"

#include <pthread.h>

namespace overlayd {

serial_worker::serial_worker(std::string name)
  : name_(std::move(name)), thread_([this] { run(); }) {}

serial_worker::~serial_worker() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
    tasks_.clear();
  }
  ready_.notify_one();
  thread_.join();
}

void serial_worker::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (stopping_)
      return;
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void serial_worker::run() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_)
      return;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

} // namespace overlayd
