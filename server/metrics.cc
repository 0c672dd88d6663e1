#include "server/metrics.h"

#include <sstream>

namespace trustcoach::server {
namespace {

void Header(std::ostringstream& out, std::string_view name,
            std::string_view type, std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type
      << '\n';
}

}  // namespace

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

void Metrics::RecordRequest(std::string_view route, std::string_view method,
                            int status, double seconds) {
  method = MethodLabel(method);
  std::lock_guard lock(mu_);
  auto request = requests_.find(std::tuple{route, method, status});
  if (request == requests_.end()) {
    request =
        requests_
            .emplace(
                std::tuple{std::string(route), std::string(method), status}, 0)
            .first;
  }
  ++request->second;
  auto latency = latency_.find(route);
  if (latency == latency_.end()) {
    latency = latency_.emplace(std::string(route), Histogram{}).first;
  }
  Histogram& histogram = latency->second;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::RecordTurn(std::string_view safety_kind,
                         std::string_view safety_level, bool fallback) {
  std::lock_guard lock(mu_);
  ++turns_;
  if (fallback) ++fallbacks_;
  if (safety_kind != "none") {
    ++safety_[{std::string(safety_kind), std::string(safety_level)}];
  }
}

void Metrics::RecordRateLimited(std::string_view scope) {
  std::lock_guard lock(mu_);
  ++rate_limited_[std::string(scope)];
}

void Metrics::RecordReload(std::string_view result) {
  std::lock_guard lock(mu_);
  ++reloads_[std::string(result)];
}

std::string Metrics::Render(int64_t conversations_active) const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  Header(out, "trustcoach_http_requests_total", "counter",
         "HTTP requests by route template, method and status code.");
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out << "trustcoach_http_requests_total{route=\"" << route << "\",method=\""
        << method << "\",status=\"" << status << "\"} " << count << '\n';
  }
  Header(out, "trustcoach_http_request_duration_seconds", "histogram",
         "Time from the request line to the response, by route template.");
  for (const auto& [route, histogram] : latency_) {
    const std::string name = "trustcoach_http_request_duration_seconds";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out << name << "_bucket{route=\"" << route << "\",le=\"" << kBuckets[i]
          << "\"} " << histogram.buckets[i] << '\n';
    }
    out << name << "_bucket{route=\"" << route << "\",le=\"+Inf\"} "
        << histogram.count << '\n';
    out << name << "_sum{route=\"" << route << "\"} " << histogram.sum << '\n';
    out << name << "_count{route=\"" << route << "\"} " << histogram.count
        << '\n';
  }
  Header(out, "trustcoach_conversations_active", "gauge",
         "Conversations in the store within the retention window.");
  out << "trustcoach_conversations_active " << conversations_active << '\n';
  Header(out, "trustcoach_turns_total", "counter",
         "Conversation turns answered by the engine.");
  out << "trustcoach_turns_total " << turns_ << '\n';
  Header(out, "trustcoach_fallback_turns_total", "counter",
         "Turns where no intent matched and the coach fell back.");
  out << "trustcoach_fallback_turns_total " << fallbacks_ << '\n';
  Header(out, "trustcoach_fallback_ratio", "gauge",
         "Fallback turns over all turns since start (0 before any turn).");
  out << "trustcoach_fallback_ratio "
      << (turns_ == 0
              ? 0.0
              : static_cast<double>(fallbacks_) / static_cast<double>(turns_))
      << '\n';
  Header(out, "trustcoach_safety_events_total", "counter",
         "Turns where the safety screen fired, by kind and level.");
  for (const auto& [key, count] : safety_) {
    out << "trustcoach_safety_events_total{kind=\"" << key.first
        << "\",level=\"" << key.second << "\"} " << count << '\n';
  }
  Header(out, "trustcoach_rate_limited_total", "counter",
         "Requests refused with 429, by bucket scope.");
  for (const auto& [scope, count] : rate_limited_) {
    out << "trustcoach_rate_limited_total{scope=\"" << scope << "\"} " << count
        << '\n';
  }
  Header(out, "trustcoach_dialog_reloads_total", "counter",
         "Dialog reloads (SIGHUP) by result.");
  for (const auto& [result, count] : reloads_) {
    out << "trustcoach_dialog_reloads_total{result=\"" << result << "\"} "
        << count << '\n';
  }
  return out.str();
}

}  // namespace trustcoach::server
