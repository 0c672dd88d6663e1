#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

#include "engine/status.h"
#include "server/api.h"
#include "server/http_front.h"
#include "server/log.h"
#include "server/options.h"
#include "store/clock.h"
#include "store/open.h"
#include "store/review_queue.h"
#include "store/session_store.h"

namespace trustcoach::server {

// One running API server: the HTTP listener, its connection threads, the store
// and the expiry sweeper. Call order: Create(), Bind(), Run() on one thread;
// Stop() and ReloadDialogs() from any other thread.
class Server {
 public:
  // Loads the dialogs in `options.dialogs_dir` and serves from `store`.
  // `clock` must outlive the server. Events (reloads, sweeps, store errors)
  // are logged as JSON lines to `event_log`, which must outlive the server.
  // With `options.review_queue` set, opens the review queue (and deletes
  // its expired items) too.
  // Its rate limiters share the backend of `storage` (OpenStore(),
  // store/open.h).
  static Status Create(const ServerOptions& options, Storage storage,
                       const Clock* clock, JsonLog* event_log,
                       std::unique_ptr<Server>* out);
  // As above, from a store alone, with rate limits kept in this process.
  static Status Create(const ServerOptions& options,
                       std::unique_ptr<SessionStore> store, const Clock* clock,
                       JsonLog* event_log, std::unique_ptr<Server>* out);

  // Stops if running, then closes the store.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds `options.host`:`options.port` (0 picks a free port) and sets
  // `*port` to the port bound.
  Status Bind(int* port);

  // Serves until Stop(), then waits for requests in flight to finish.
  void Run();

  // Stops accepting connections; Run() returns once in-flight requests are
  // answered. Safe to call more than once and before Run().
  void Stop();

  bool running() const { return http_.is_running(); }

  // Loads the dialogs again. On error the old dialogs keep serving and the
  // lint errors are returned (and logged).
  Status ReloadDialogs();

  // /readyz answers 503 from now on; everything else is served as before.
  void BeginDrain() { api_->SetDraining(); }

  // Whether the web folder (demo page, widget) was found.
  bool serves_web() const { return serves_web_; }
  const std::string& web_dir() const { return options_.web_dir; }
  JsonLog* access_log() { return access_log_.get(); }

  SessionStore* store() { return store_.get(); }
  // The review queue, or null when it is off.
  ReviewQueue* review_queue() { return review_queue_.get(); }

 private:
  Server(const ServerOptions& options, Storage storage, const Clock* clock,
         JsonLog* event_log, std::shared_ptr<const Engine> engine,
         std::unique_ptr<ReviewQueue> review_queue);
  void Sweep();

  const ServerOptions options_;
  std::unique_ptr<SessionStore> store_;
  // Outlives api_, which queues into it.
  std::unique_ptr<ReviewQueue> review_queue_;
  JsonLog* const event_log_;
  std::unique_ptr<JsonLog> access_log_;
  std::unique_ptr<Api> api_;
  GuardedServer http_;
  // The listening socket, once bound (see Bind()).
  socket_t listen_socket_ = INVALID_SOCKET;
  bool serves_web_ = false;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace trustcoach::server
