#include "server/metrics.h"

#include <catch2/catch.hpp>

namespace trustcoach::server {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST_CASE("Metrics count turns per node and intent, and fallbacks per node",
          "[server][metrics]") {
  Metrics metrics;
  metrics.RecordTurn("none", "none", false, "feelings", "anger", "anger");
  metrics.RecordTurn("none", "none", true, "feelings", "anger", "");
  metrics.RecordTurn("none", "none", false, "therapy", "cost", "therapy_cost");
  metrics.RecordTurn("none", "none", false, "therapy", "cost", "therapy_cost");
  const std::string text = metrics.Render(0);
  CHECK(Has(text, "trustcoach_turns_total 4"));
  CHECK(Has(text, "trustcoach_fallback_turns_total 1"));
  CHECK(Has(text,
            "trustcoach_node_turns_total{flow=\"feelings\",node=\"anger\"} 2"));
  CHECK(Has(text,
            "trustcoach_node_turns_total{flow=\"therapy\",node=\"cost\"} 2"));
  CHECK(Has(text, "trustcoach_node_fallbacks_total{flow=\"feelings\","
                  "node=\"anger\"} 1"));
  // A node without fallbacks has no fallback series.
  CHECK(text.find("trustcoach_node_fallbacks_total{flow=\"therapy\"") ==
        std::string::npos);
  CHECK(Has(text, "trustcoach_intent_turns_total{intent=\"anger\"} 1"));
  CHECK(Has(text, "trustcoach_intent_turns_total{intent=\"therapy_cost\"} 2"));
  // No intent, no intent series.
  CHECK(text.find("intent=\"\"") == std::string::npos);
}

}  // namespace
}  // namespace trustcoach::server
