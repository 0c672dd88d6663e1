// trustcoach review export: the review queue as JSON lines.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/settings.h"
#include "store/review_queue.h"

namespace trustcoach::cli {
namespace {

constexpr const char* kUsage =
    "Usage: trustcoach review export [OPTIONS]\n\n"
    "Prints the review queue (serve --review-queue sqlite:PATH) as JSON\n"
    "lines, oldest day first: day, reason (fallback | check_in | reported),\n"
    "flow, node, intent, count, text, and a transcript turn {\"say\": ...}.\n"
    "The file is not changed. The file is --db PATH, else the review-queue\n"
    "key (the same as serve's) without its sqlite: prefix. See\n"
    "docs/privacy.md.\n";

}  // namespace

int RunReview(int argc, char** argv) {
  ReviewSettings settings;
  const int exit = LoadSettingsOrExit(argc, argv, kUsage, &settings);
  if (exit >= 0) return exit;
  if (settings.action.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (settings.action.front() != "export") {
    std::fprintf(stderr, "trustcoach review: unknown action '%s'\n\n%s",
                 settings.action.front().c_str(), kUsage);
    return 2;
  }
  const std::string& path = settings.db;
  if (path.empty()) {
    std::fprintf(stderr, "trustcoach review export: which queue? --db PATH\n");
    return 2;
  }
  const Status status =
      server::ExportReviewQueue(path, [](const server::ReviewItem& item) {
        const std::string line = server::ReviewItemJson(item);
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
      });
  if (!status.ok()) {
    std::fprintf(stderr, "trustcoach review export: %s\n",
                 status.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace trustcoach::cli
