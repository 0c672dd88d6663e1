#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/status.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/problem.h"
#include "server/request.h"
#include "store/clock.h"
#include "store/rate_limiter.h"
#include "store/review_queue.h"
#include "store/session_store.h"

namespace trustcoach::server {

// The route template a path belongs to ("/v1/conversations/{id}"), "other"
// for an unknown /v1/ path, else "static" (the web folder). Used as the
// metrics and log label so that ids never become label values.
std::string_view RouteTemplate(std::string_view path);

// The methods a route template accepts ("GET, HEAD, DELETE, OPTIONS"), or ""
// for a path the API does not know.
std::string AllowedMethods(std::string_view route);

// The API v1 routes and their cross-cutting handlers (CORS, API keys, rate
// limits, problem+json errors, access log, metrics). See docs/api.md.
//
// Thread safety: Install() once before the server listens; everything else
// is safe from any request thread. `store`, `clock` and `access_log` must
// outlive the Api; the engine can be replaced while requests run.
class Api {
 public:
  // The per-address and per-conversation limiters come from
  // `rate_limiters` (named "client" and "conversation").
  Api(const ServerOptions& options, SessionStore* store,
      const RateLimiterFactory& rate_limiters, const Clock* clock,
      JsonLog* access_log, std::shared_ptr<const Engine> engine);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Registers every route and handler on `http`, and the web folder.
  // Returns false when the web folder does not exist (the API still works).
  bool Install(httplib::Server* http);

  // Replaces the engine: requests already running finish with the old one.
  void SetEngine(std::shared_ptr<const Engine> engine);
  std::shared_ptr<const Engine> engine() const;

  // From now on /readyz answers 503, so that load balancers send new
  // conversations elsewhere while the server finishes what it has.
  void SetDraining() { draining_ = true; }

  Metrics* metrics() { return &metrics_; }

  // Logs a connection or request refused before httplib parsed it (see
  // GuardedServer): `status` and the peer address.
  void LogRefused(int status, const std::string& peer);

  // Where store write errors are logged (rate-limited); none when unset.
  // Call before the server listens.
  void set_event_log(JsonLog* event_log) { event_log_ = event_log; }

  // Where messages that fell back or got a check-in, and those the person
  // reports, are queued for review; none (the default) keeps nothing and
  // the report route answers 404. Call before the server listens.
  void set_review_queue(ReviewQueue* queue) { review_queue_ = queue; }

  // Drops conversations that are gone (expired, deleted) from the
  // per-address counts. The expiry sweeper calls it.
  void ForgetGoneConversations();

  // Every (method, route template) the API serves, for the spec test.
  static const std::vector<std::pair<std::string_view, std::string_view>>&
  Routes();

 private:
  using Request = httplib::Request;
  using Response = httplib::Response;
  using HandlerResponse = httplib::Server::HandlerResponse;

  struct RouteEntry {
    std::string_view method;
    std::string_view path;  // "{id}" stands for one path segment
    void (Api::*handler)(const Request&, Response&);
  };
  static const std::vector<RouteEntry>& RouteTable();

  HandlerResponse PreRoute(const Request& request, Response& response);
  // API keys and the per-address rate limit; false when refused (the
  // response holds the problem).
  bool Admit(const Request& request, Response& response);
  // The API key alone (when keys are configured); false when refused.
  bool CheckApiKey(const Request& request, Response& response);
  std::string ClientOf(const Request& request) const;

  // Holds a place for one more conversation from `client`; false when it
  // has `max_conversations_per_client` live ones (then `*retry_after` is the
  // seconds until the first of them expires). Settle the place with
  // SettleClientPlace(): the id created, or "" when the create failed.
  bool TakeClientPlace(const std::string& client, int64_t* retry_after);
  void SettleClientPlace(const std::string& client, const std::string& id);
  // With a store that counts each client's conversations across instances
  // (SessionStore::CountsClients): asks for room (`id` empty) or adds the
  // conversation `id` just created; false when the client is at the cap
  // (`*retry_after` as above). True, doing nothing, with other stores.
  bool TakeSharedClientPlace(const std::string& client, const std::string& id,
                             int64_t* retry_after);
  void SendTooManyConversations(Response& response, int64_t retry_after);
  HandlerResponse OnError(const Request& request, Response& response);
  void OnException(const Request& request, Response& response);
  void OnLog(const Request& request, const Response& response);

  void CreateConversation(const Request& request, Response& response);
  void PostMessage(const Request& request, Response& response);
  void ReportMessage(const Request& request, Response& response);
  void GetConversation(const Request& request, Response& response);
  void DeleteConversation(const Request& request, Response& response);
  void Healthz(const Request& request, Response& response);
  void Readyz(const Request& request, Response& response);
  void ServeMetrics(const Request& request, Response& response);
  void OpenApi(const Request& request, Response& response);

  // Loads conversation `id` and checks the bearer token. On failure the
  // response holds the problem and false is returned.
  bool Authorize(const Request& request, Response& response,
                 std::string_view id, Conversation* conversation);
  bool CorsAllowed(std::string_view origin) const;
  // The served dialog set's version (engine.json) and content hash.
  std::pair<std::string, std::string> DialogsVersionAndHash() const;
  // Notes the result of a store write: a failure other than the expected
  // ones (a lost race, a gone conversation) makes /readyz 503 for a while
  // and is logged, at most once per kWriteErrorLogMillis.
  void NoteStoreWrite(const Status& status);
  // Whether `path` names a regular file whose real path is inside the web
  // folder, with no segment starting with '.'.
  bool StaticFileAllowed(std::string_view path) const;

  const ServerOptions options_;
  // The web folder's real path (symlinks resolved), set by Install().
  std::string web_root_;
  SessionStore* const store_;
  const Clock* const clock_;
  JsonLog* const access_log_;
  JsonLog* event_log_ = nullptr;
  ReviewQueue* review_queue_ = nullptr;
  // When a store write last failed (0: never), and the logging of failures.
  std::atomic<int64_t> write_failed_millis_ = 0;
  std::mutex write_log_mu_;
  int64_t write_logged_millis_ = 0;     // guarded by write_log_mu_
  uint64_t write_errors_unlogged_ = 0;  // guarded by write_log_mu_
  Metrics metrics_;
  // Shared through the store's backend when it offers that (Redis: see
  // OpenStore()).
  std::unique_ptr<RateLimiter> client_limiter_;
  std::unique_ptr<RateLimiter> conversation_limiter_;

  mutable std::mutex engine_mu_;
  std::shared_ptr<const Engine> engine_;
  // The content hash of the dialogs folder engine_ was loaded from.
  std::string dialogs_hash_;

  std::atomic<bool> draining_ = false;

  // Turns on one conversation run one at a time in this process; the
  // store's version check covers other processes.
  std::array<std::mutex, 64> conversation_locks_;

  // Live conversations created from each client address, by id ("" for a
  // create in progress). Ids of gone conversations are dropped when the
  // address reaches its cap and by ForgetGoneConversations().
  std::mutex clients_mu_;
  std::unordered_map<std::string, std::vector<std::string>> clients_;
};

}  // namespace trustcoach::server
