#include "server/metrics.h"

#include <algorithm>
#include <sstream>
#include <tuple>
#include <vector>

namespace trustcoach::server {
namespace {

void Header(std::ostringstream& out, std::string_view name,
            std::string_view type, std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type
      << '\n';
}

}  // namespace

size_t Metrics::MethodIndex(std::string_view method) {
  for (size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (method == kMethods[i]) return i;
  }
  return kMethods.size() - 1;
}

std::string_view MethodLabel(std::string_view method) {
  return Metrics::kMethods[Metrics::MethodIndex(method)];
}

void Metrics::RecordRequest(std::string_view route, std::string_view method,
                            int status, double seconds) {
  const size_t method_index = MethodIndex(method);
  std::lock_guard lock(mu_);
  auto counts = std::find_if(
      routes_.begin(), routes_.end(),
      [route](const RouteCounts& seen) { return seen.route == route; });
  if (counts == routes_.end()) {
    counts =
        routes_.insert(routes_.end(), RouteCounts{.route = std::string(route)});
  }
  std::vector<std::pair<int, uint64_t>>& statuses =
      counts->statuses[method_index];
  auto request = std::find_if(statuses.begin(), statuses.end(),
                              [status](const std::pair<int, uint64_t>& seen) {
                                return seen.first == status;
                              });
  if (request == statuses.end()) {
    request = statuses.insert(statuses.end(), {status, 0});
  }
  ++request->second;
  Histogram& histogram = counts->latency;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::RecordTurn(std::string_view safety_kind,
                         std::string_view safety_level, bool fallback,
                         std::string_view flow, std::string_view node,
                         std::string_view intent) {
  std::lock_guard lock(mu_);
  ++turns_;
  if (fallback) ++fallbacks_;
  if (!flow.empty()) {
    node_key_.assign(flow).append(1, '\0').append(node);
    auto it = nodes_.find(node_key_);
    if (it == nodes_.end()) it = nodes_.emplace(node_key_, NodeCounts()).first;
    ++it->second.turns;
    if (fallback) ++it->second.fallbacks;
  }
  if (!intent.empty()) {
    auto it = intents_.find(intent);
    if (it == intents_.end()) it = intents_.emplace(intent, 0).first;
    ++it->second;
  }
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
  // In the order of (route, method, status), then routes by name.
  std::vector<std::tuple<std::string_view, std::string_view, int, uint64_t>>
      requests;
  std::vector<const RouteCounts*> routes;
  for (const RouteCounts& counts : routes_) {
    routes.push_back(&counts);
    for (size_t method = 0; method < kMethods.size(); ++method) {
      for (const auto& [status, count] : counts.statuses[method]) {
        requests.emplace_back(counts.route, kMethods[method], status, count);
      }
    }
  }
  std::sort(requests.begin(), requests.end());
  std::sort(routes.begin(), routes.end(),
            [](const RouteCounts* a, const RouteCounts* b) {
              return a->route < b->route;
            });
  for (const auto& [route, method, status, count] : requests) {
    out << "trustcoach_http_requests_total{route=\"" << route << "\",method=\""
        << method << "\",status=\"" << status << "\"} " << count << '\n';
  }
  Header(out, "trustcoach_http_request_duration_seconds", "histogram",
         "Time from the request line to the response, by route template.");
  for (const RouteCounts* counts : routes) {
    const std::string_view route = counts->route;
    const Histogram& histogram = counts->latency;
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
  std::vector<const std::pair<const std::string, NodeCounts>*> nodes;
  for (const auto& entry : nodes_) nodes.push_back(&entry);
  std::sort(nodes.begin(), nodes.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<const std::pair<const std::string, uint64_t>*> intents;
  for (const auto& entry : intents_) intents.push_back(&entry);
  std::sort(intents.begin(), intents.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  Header(out, "trustcoach_node_turns_total", "counter",
         "Turns by the flow and node they left the conversation at.");
  for (const auto* entry : nodes) {
    const auto& [key, counts] = *entry;
    const size_t split = key.find('\0');
    out << "trustcoach_node_turns_total{flow=\"" << key.substr(0, split)
        << "\",node=\"" << key.substr(split + 1) << "\"} " << counts.turns
        << '\n';
  }
  Header(out, "trustcoach_node_fallbacks_total", "counter",
         "Fallback turns by the flow and node where the coach did not "
         "understand.");
  for (const auto* entry : nodes) {
    const auto& [key, counts] = *entry;
    if (counts.fallbacks == 0) continue;
    const size_t split = key.find('\0');
    out << "trustcoach_node_fallbacks_total{flow=\"" << key.substr(0, split)
        << "\",node=\"" << key.substr(split + 1) << "\"} " << counts.fallbacks
        << '\n';
  }
  Header(out, "trustcoach_intent_turns_total", "counter",
         "Turns by the intent the engine chose.");
  for (const auto* entry : intents) {
    const auto& [intent, count] = *entry;
    out << "trustcoach_intent_turns_total{intent=\"" << intent << "\"} "
        << count << '\n';
  }
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
