#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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
  // One engine turn; `safety_kind`/`safety_level` as named in the API;
  // `flow` and `node` where the turn left the conversation, `intent` the one
  // chosen ("" for none). Those three are dialog ids, so their label values
  // are bounded by the dialogs, never by what people write.
  void RecordTurn(std::string_view safety_kind, std::string_view safety_level,
                  bool fallback, std::string_view flow = {},
                  std::string_view node = {}, std::string_view intent = {});
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

  // The methods MethodLabel() knows, then "other": a method label's index.
  static constexpr std::array<std::string_view, 8> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other"};
  static size_t MethodIndex(std::string_view method);
  friend std::string_view MethodLabel(std::string_view method);

  mutable std::mutex mu_;
  // Requests and latency by route, in the order routes were first seen: a
  // server has about ten route templates, so recording compares a few
  // lengths instead of walking a map of (route, method, status) strings,
  // and allocates only for a label set seen the first time. Render() sorts.
  struct RouteCounts {
    std::string route;
    Histogram latency;
    // By method (index in kMethods): (status, count), a few each.
    std::array<std::vector<std::pair<int, uint64_t>>, kMethods.size()> statuses;
  };
  std::vector<RouteCounts> routes_;
  std::map<std::pair<std::string, std::string>, uint64_t> safety_;
  std::map<std::string, uint64_t> rate_limited_;
  std::map<std::string, uint64_t> reloads_;
  uint64_t turns_ = 0;
  uint64_t fallbacks_ = 0;
  struct NodeCounts {
    uint64_t turns = 0;
    uint64_t fallbacks = 0;
  };
  // Hashes keys held as strings or as views alike.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>()(key);
    }
  };
  // By "flow\0node" and by intent id (hundreds each): hashed, and looked up
  // without building a string once a label set has been seen. Render()
  // sorts.
  std::unordered_map<std::string, NodeCounts, KeyHash, std::equal_to<>> nodes_;
  std::unordered_map<std::string, uint64_t, KeyHash, std::equal_to<>> intents_;
  std::string node_key_;  // scratch for the lookup, under mu_
};

}  // namespace trustcoach::server
