// trustcoach review export: the review queue as JSON lines.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "server/review_queue.h"

namespace trustcoach::cli {
namespace {

constexpr const char* kUsage =
    "Usage: trustcoach review export [--db PATH]\n\n"
    "Prints the review queue (serve --review-queue sqlite:PATH) as JSON\n"
    "lines, oldest day first: day, reason (fallback | check_in | reported),\n"
    "flow, node, intent, count, text, and a transcript turn {\"say\": ...}.\n"
    "The file is not changed. PATH defaults to $TRUSTCOACH_REVIEW_QUEUE\n"
    "without its sqlite: prefix. See docs/privacy.md.\n";

}  // namespace

int RunReview(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "export") != 0) {
    std::fprintf(stderr, "trustcoach review: unknown action '%s'\n\n%s",
                 argv[1], kUsage);
    return 2;
  }
  std::string path;
  if (const char* env = std::getenv("TRUSTCOACH_REVIEW_QUEUE");
      env != nullptr && std::string_view(env).starts_with("sqlite:")) {
    path = env + 7;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--db" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg.starts_with("--db=")) {
      path = std::string(arg.substr(5));
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr,
                   "trustcoach review export: unknown option '%s'\n\n%s",
                   argv[i], kUsage);
      return 2;
    }
  }
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
