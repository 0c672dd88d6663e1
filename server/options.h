#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trustcoach::server {

// Everything `trustcoach serve` can be told, each field with its default.
// Filled by LoadServerOptions() (server/config.h) from flags, TRUSTCOACH_*
// environment variables and an optional config file, in that order of
// precedence.
struct ServerOptions {
  // Listening address and port; port 0 picks a free port.
  std::string host = "127.0.0.1";
  int port = 8080;
  // Threads always kept for connections: the resident minimum of the
  // elastic pool (server/thread_pool.h), which starts more when all are busy,
  // up to 512, and lets the extra ones end when idle.
  int threads = 8;

  // Dialog folder; empty means the shipped dialogs.
  std::string dialogs_dir;
  // Static files of the demo page and widget; empty means the source tree's
  // server/web.
  std::string web_dir;

  // "memory", "sqlite:PATH", "redis://HOST[:PORT][/DB][?OPTIONS]" (see
  // ParseRedisUrl in server/redis_client.h) or empty for SQLite in
  // `data_dir`.
  std::string store;
  // Folder for the default SQLite file (trustcoach.db); empty means
  // $XDG_DATA_HOME/trustcoach when XDG_DATA_HOME is set, else ./data.
  std::string data_dir;
  // SQLite `synchronous`: "full" (default, survives power loss) or "normal"
  // (survives a process crash such as kill -9, not a power cut).
  std::string sqlite_synchronous = "full";

  // Conversations untouched this long are deleted (the retention window).
  int64_t idle_expiry_seconds = 2 * 60 * 60;
  // How often expired conversations are swept.
  int64_t sweep_interval_seconds = 60;
  // A conversation without any message from the person (only the coach's
  // greeting) is deleted after this many idle seconds instead (every store;
  // see docs/reliability.md).
  int64_t unanswered_expiry_seconds = 10 * 60;
  // Memory store only: the most conversations held at once, and the most
  // transcript bytes held for all of them together.
  size_t memory_max_conversations = 10000;
  size_t memory_max_bytes = size_t{256} << 20;
  // SQLite store only: the most conversations stored, and the most bytes of
  // database pages in use; 0 disables either.
  size_t sqlite_max_conversations = 100000;
  size_t sqlite_max_bytes = size_t{1} << 30;

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
};

}  // namespace trustcoach::server
