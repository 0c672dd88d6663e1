#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "store/clock.h"

namespace trustcoach::server {

// One message the coach did not handle well, as the review queue keeps it:
// never a conversation id, a token, an address or an exact time. See
// docs/privacy.md.
struct ReviewItem {
  // The person's message, with e-mail addresses, links and long numbers
  // replaced (RedactForReview).
  std::string text;
  // Why it was kept: "fallback" (nothing understood it), "check_in" (the
  // safety screen asked a gentle check-in question) or "reported" (the
  // person said the reply missed the point, in the widget).
  std::string reason;
  // Where the conversation was after the turn, and the intent chosen ("" on
  // a fallback): dialog ids, not request data.
  std::string flow;
  std::string node;
  std::string intent;
  // The UTC day, as days since 1970-01-01: the only time kept.
  int64_t day = 0;
  // How often this same message met the same fate at the same node that day
  // (filled by Export).
  int64_t count = 1;
};

// `text` with what could identify someone replaced: e-mail addresses by
// "<email>", links (http://, https://, www.) by "<link>", and runs of five
// or more digits (phone, account and card numbers; separators such as
// spaces, '-', '.' and '(' between digits count as part of the run) by
// "<number>".
std::string RedactForReview(std::string_view text);

// The opt-in store of messages to review (`serve --review-queue`), kept
// apart from conversations. Add() is cheap and never blocks on the disk: a
// writer thread stores what was added, and drops items past a small bound
// rather than slow the turns down. Thread safety: every method is safe from
// any thread.
class ReviewQueue {
 public:
  virtual ~ReviewQueue() = default;

  // Queues `item` to be stored; its `day` is set from the clock and its
  // text redacted by the writer.
  virtual void Add(ReviewItem item) = 0;

  // Waits until everything added before the call is stored (tests, stop).
  virtual void Flush() = 0;

  // Deletes the items older than the retention; `*removed` counts them.
  // Runs at open and then at most hourly after writes.
  virtual Status DeleteExpired(size_t* removed) = 0;

  // Items added but not stored because the writer was behind.
  virtual uint64_t dropped() const = 0;
};

struct ReviewQueueOptions {
  // Items are deleted once they are this many days old (by UTC day).
  int retention_days = 30;
  // The most items waiting for the writer; more are dropped.
  size_t max_pending = 1024;
};

// Opens the queue `spec` names ("sqlite:PATH"; the file is created owner-only
// with its table when missing) and deletes the expired items. `clock` must
// outlive the queue.
Status OpenReviewQueue(const std::string& spec, const Clock* clock,
                       const ReviewQueueOptions& options,
                       std::unique_ptr<ReviewQueue>* out);

// Calls `visit` with each item in the SQLite queue file `path`, oldest day
// first, without changing the file. For `trustcoach review export`.
Status ExportReviewQueue(const std::string& path,
                         const std::function<void(const ReviewItem&)>& visit);

// One JSON line for `item` (no newline): day as YYYY-MM-DD, reason, flow,
// node, intent, count, text, and a transcript turn {"say": text} ready to
// paste into a transcript test.
std::string ReviewItemJson(const ReviewItem& item);

}  // namespace trustcoach::server
