#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include <httplib.h>

namespace trustcoach::server {

// The threads that serve connections. httplib runs each connection on one
// thread from accept to close, and the connection holds it while waiting for
// the client: up to the keep-alive timeout before each request, and for as
// long as a slow client keeps sending. With a fixed pool (httplib's
// ThreadPool) a few idle or slow connections more than there are threads
// queue every other client behind them. This pool keeps `min_threads`
// threads and starts another whenever a connection would otherwise wait, up
// to `max_threads`; the extra threads end after `idle_exit` without work.
//
// Thread safety: enqueue() and shutdown() may be called from any thread;
// shutdown() runs the connections already queued, then returns once every
// thread has ended. The pool must not be destroyed before shutdown()
// returns.
class ElasticThreadPool : public httplib::TaskQueue {
 public:
  ElasticThreadPool(
      size_t min_threads, size_t max_threads,
      std::chrono::milliseconds idle_exit = std::chrono::seconds(10));
  ~ElasticThreadPool() override;
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  void enqueue(std::function<void()> job) override;
  void shutdown() override;

  // Threads running now, busy or idle.
  size_t threads() const;

 private:
  // Starts one thread; false when the system refuses (the job then waits).
  bool StartThread();
  void Work();

  const size_t min_threads_;
  const size_t max_threads_;
  const std::chrono::milliseconds idle_exit_;

  mutable std::mutex mu_;
  std::condition_variable work_;    // a job was queued, or stopping
  std::condition_variable exited_;  // a thread ended
  std::deque<std::function<void()>> jobs_;
  size_t threads_ = 0;
  size_t idle_ = 0;  // threads waiting for a job
  bool stopping_ = false;
};

}  // namespace trustcoach::server
