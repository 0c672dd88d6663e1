#include "server/thread_pool.h"

#include <algorithm>
#include <system_error>
#include <thread>
#include <utility>

namespace trustcoach::server {

ElasticThreadPool::ElasticThreadPool(size_t min_threads, size_t max_threads,
                                     std::chrono::milliseconds idle_exit)
    : min_threads_(std::max<size_t>(min_threads, 1)),
      max_threads_(std::max(max_threads, min_threads_)),
      idle_exit_(idle_exit) {
  std::lock_guard lock(mu_);
  while (threads_ < min_threads_ && StartThread()) {
  }
}

ElasticThreadPool::~ElasticThreadPool() { shutdown(); }

bool ElasticThreadPool::StartThread() {
  // Detached: a thread that ends on its own has nobody to join it. The pool
  // counts them instead, and shutdown() waits for the count to reach zero.
  try {
    std::thread([this] { Work(); }).detach();
  } catch (const std::system_error&) {
    return false;
  }
  ++threads_;
  return true;
}

void ElasticThreadPool::enqueue(std::function<void()> job) {
  std::lock_guard lock(mu_);
  jobs_.push_back(std::move(job));
  // Every queued job needs a waiting thread of its own; start one if not.
  if (jobs_.size() > idle_ && threads_ < max_threads_) (void)StartThread();
  work_.notify_one();
}

void ElasticThreadPool::shutdown() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  work_.notify_all();
  exited_.wait(lock, [this] { return threads_ == 0; });
}

size_t ElasticThreadPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

void ElasticThreadPool::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    const bool woken = work_.wait_for(
        lock, idle_exit_, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) {
      if (stopping_ || (!woken && threads_ > min_threads_)) break;
      continue;
    }
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
  --threads_;
  // The last member access: shutdown() may destroy the pool once it sees
  // the count reach zero, which needs this lock.
  exited_.notify_all();
}

}  // namespace trustcoach::server
