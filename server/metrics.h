#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace trustcoach::server {

// Counters for /metrics in the Prometheus text format (version 0.0.4).
// Labels come from small fixed sets (route templates, status codes, safety
// kinds), never from request data, and no message text is recorded. Safe to
// call from any thread.
// The `method` label of a request: one of the HTTP methods the server
// knows, else "other", so that invented methods cannot add label values.
std::string_view MethodLabel(std::string_view method);

class Metrics {
 public:
  // `route` is a template such as "/v1/conversations/{id}".
  void RecordRequest(std::string_view route, std::string_view method,
                     int status, double seconds);
  // One engine turn; `safety_kind`/`safety_level` as named in the API.
  void RecordTurn(std::string_view safety_kind, std::string_view safety_level,
                  bool fallback);
  // `scope` is "client" or "conversation".
  void RecordRateLimited(std::string_view scope);
  // `result` is "ok" or "rejected".
  void RecordReload(std::string_view result);

  std::string Render(int64_t conversations_active) const;

 private:
  static constexpr std::array<double, 11> kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mu_;
  // Orders (route, method, status) keys held as strings or as views alike,
  // so that recording looks a key up without building strings and allocates
  // only for a label set seen the first time.
  struct RequestKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) < View(b);
    }
    template <typename Key>
    static std::tuple<std::string_view, std::string_view, int> View(
        const Key& key) {
      return {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    }
  };
  std::map<std::tuple<std::string, std::string, int>, uint64_t, RequestKeyLess>
      requests_;
  std::map<std::string, Histogram, std::less<>> latency_;  // by route
  std::map<std::pair<std::string, std::string>, uint64_t> safety_;
  std::map<std::string, uint64_t> rate_limited_;
  std::map<std::string, uint64_t> reloads_;
  uint64_t turns_ = 0;
  uint64_t fallbacks_ = 0;
};

}  // namespace trustcoach::server
