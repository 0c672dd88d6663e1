#include "server/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

namespace trustcoach::server {
namespace {

using namespace std::chrono_literals;

// Blocks jobs until Open() is called.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits (at most 10 s) until `n` jobs are blocked here.
  bool AwaitWaiting(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 10s, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

// Polls `condition` for up to 10 s.
template <typename Condition>
bool Eventually(Condition condition) {
  for (int i = 0; i < 1000 && !condition(); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

TEST_CASE("ElasticThreadPool grows while every thread is busy",
          "[server][thread_pool]") {
  ElasticThreadPool pool(2, 6, 100ms);
  CHECK(pool.threads() == 2);
  Gate gate;
  std::atomic<int> done = 0;
  // Eight blocking jobs: six run at once, two wait for a free thread.
  for (int i = 0; i < 8; ++i) {
    pool.enqueue([&] {
      gate.Wait();
      ++done;
    });
  }
  REQUIRE(gate.AwaitWaiting(6));
  CHECK(pool.threads() == 6);
  gate.Open();
  REQUIRE(Eventually([&] { return done == 8; }));
  // The extra threads end once idle; the resident ones stay.
  CHECK(Eventually([&] { return pool.threads() == 2; }));
  pool.shutdown();
  CHECK(pool.threads() == 0);
}

TEST_CASE("ElasticThreadPool does not grow when a thread is free",
          "[server][thread_pool]") {
  ElasticThreadPool pool(4, 64, 10s);
  std::atomic<int> done = 0;
  for (int i = 0; i < 50; ++i) {
    pool.enqueue([&] { ++done; });
    REQUIRE(Eventually([&] { return done == i + 1; }));
    // Let the thread get back to waiting; a job queued before it does
    // rightly starts another thread.
    std::this_thread::sleep_for(5ms);
  }
  // One job at a time: the resident threads suffice (a slack of two for a
  // loaded machine).
  CHECK(pool.threads() <= 6);
}

TEST_CASE("ElasticThreadPool runs queued jobs before shutdown returns",
          "[server][thread_pool]") {
  std::atomic<int> done = 0;
  {
    ElasticThreadPool pool(1, 1);
    for (int i = 0; i < 50; ++i) {
      pool.enqueue([&] {
        std::this_thread::sleep_for(1ms);
        ++done;
      });
    }
    pool.shutdown();
    CHECK(done == 50);
  }
  // Destroying a pool without shutdown() shuts it down.
  {
    ElasticThreadPool pool(3, 8);
    pool.enqueue([&] { ++done; });
  }
  CHECK(done == 51);
}

}  // namespace
}  // namespace trustcoach::server
