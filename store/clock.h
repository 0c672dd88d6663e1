#pragma once

#include <atomic>
#include <cstdint>

namespace trustcoach::server {

// Wall-clock time in milliseconds since the Unix epoch. Stores keep it so
// that idle expiry holds across restarts. Safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;
};

// The process-wide real clock; never null, never deleted.
const Clock* SystemClock();

// A clock that moves only when told to, for tests of expiry and rate limits.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'700'000'000'000)
      : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Advance(int64_t millis) { now_ += millis; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace trustcoach::server
