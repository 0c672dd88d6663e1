#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/open.h"

namespace trustcoach::server {

// Everything `trustcoach serve` can be told, each field with its default.
// `trustcoach serve` fills it from flags, TRUSTCOACH_* environment variables
// and an optional config file, in that order of precedence, and resolves the
// folders' defaults (cli/settings.h, docs/configuration.md). The store's own
// options (which store, its bounds and retention) are the embedded
// StoreOptions (store/open.h).
struct ServerOptions : StoreOptions {
  // Listening address and port; port 0 picks a free port.
  std::string host = "127.0.0.1";
  int port = 8080;
  // Threads always kept for connections: the resident minimum of the
  // elastic pool (server/thread_pool.h), which starts more when all are busy,
  // up to 512, and lets the extra ones end when idle.
  int threads = 8;

  // Dialog folder (required; the command line fills in the shipped one).
  std::string dialogs_dir;
  // Static files of the demo page and widget; empty serves none (the
  // command line fills in the shipped folder).
  std::string web_dir;

  // The opt-in review queue (docs/privacy.md): "sqlite:PATH" keeps the
  // messages that fell back or got a safety check-in, apart from
  // conversations and without ids; empty (the default) keeps nothing.
  std::string review_queue;
  // Review items are deleted once this many days old.
  int review_retention_days = 30;

  // How often expired conversations are swept.
  int64_t sweep_interval_seconds = 60;

  // One conversation's bounds: the most messages a person can send in it,
  // and the most transcript bytes it keeps (their text and the coach's
  // replies). At either one a message gets 409 with a kind note to start
  // again. 0 disables.
  int max_turns = 200;
  size_t max_conversation_bytes = 512 * 1024;
  // The most live conversations created from one client address (in this
  // process; with Redis, across every instance sharing it); one more gets
  // 429. 0 disables.
  int max_conversations_per_client = 20;

  // When non-empty, every /v1/conversations call needs `X-API-Key` with one
  // of these.
  std::vector<std::string> api_keys;
  // Origins allowed to call the API from a browser ("*" allows any).
  std::vector<std::string> allowed_origins;
  // Addresses of reverse proxies (nginx) whose X-Forwarded-For is believed:
  // behind one, the client address for rate limits and the access log is
  // the last X-Forwarded-For entry that is not itself a trusted proxy.
  std::vector<std::string> trusted_proxies;

  // Token buckets: requests per second and burst, per client address on
  // /v1/conversations*, and per conversation on its messages. 0 disables.
  double client_rate = 10;
  double client_burst = 40;
  double conversation_rate = 1;
  double conversation_burst = 10;

  // HTTP limits.
  size_t max_body_bytes = 16 * 1024;
  int read_timeout_seconds = 5;
  int write_timeout_seconds = 5;
  int keep_alive_timeout_seconds = 5;
  int keep_alive_max_count = 100;
  // From its first byte, a request (head and body) must arrive within this
  // many seconds; a request line or header line is at most 8 KiB and a head
  // 32 KiB (server/http_front.h).
  int request_deadline_seconds = 10;
  // Connections open at once from one peer address (trusted proxies are not
  // counted); one more gets 503. 0 disables.
  int max_connections_per_address = 64;

  // Where access logs go as JSON lines: "-" for stdout, "off", or a path.
  std::string access_log = "-";
  // Where events (start, reloads, sweeps, errors) go as JSON lines:
  // "stderr", "-" for stdout, "off", or a path. Files are reopened on SIGHUP.
  std::string event_log = "stderr";

  // Stopping (SIGTERM, SIGINT): /readyz answers 503 at once; the server
  // keeps serving for `drain_delay_seconds` so that load balancers notice,
  // then stops accepting connections and gives requests in flight
  // `drain_timeout_seconds` to finish before it exits anyway.
  int drain_delay_seconds = 0;
  int drain_timeout_seconds = 10;

  // For evaluation only: when set, every conversation chooses its reply
  // variants with this seed instead of a random one, so that two runs of
  // the same conversations get the same replies. Ids and tokens stay random.
  std::optional<uint64_t> variant_seed;
};

}  // namespace trustcoach::server
