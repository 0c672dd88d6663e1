#include "server/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "engine/content_rules.h"
#include "server/thread_pool.h"

namespace trustcoach::server {
namespace {

// The most connections served at once (see ElasticThreadPool).
constexpr size_t kMaxConnectionThreads = 512;

}  // namespace

namespace {

// Loads the dialogs and holds them to the content rules (wording, a path to
// help everywhere...: engine/content_rules.h), as `trustcoach lint` does, so
// that a custom dialogs folder or a reload cannot bypass them.
Status LoadDialogs(const std::string& dir, std::unique_ptr<Engine>* engine,
                   std::vector<std::string>* warnings) {
  std::unique_ptr<Engine> loaded;
  Status status = Engine::Load(dir, &loaded, warnings);
  if (!status.ok()) return status;
  const std::vector<std::string> problems = CheckContent(*loaded);
  if (!problems.empty()) {
    std::string message = dir + ": breaks the content rules (trustcoach lint):";
    for (const std::string& problem : problems) message += "\n" + problem;
    return Status::InvalidArgument(message);
  }
  *engine = std::move(loaded);
  return Status::OK();
}

}  // namespace

Status Server::Create(const ServerOptions& options,
                      std::unique_ptr<SessionStore> store, const Clock* clock,
                      JsonLog* event_log, std::unique_ptr<Server>* out) {
  return Create(options,
                Storage{.store = std::move(store),
                        .rate_limiters = LocalRateLimiters(clock)},
                clock, event_log, out);
}

Status Server::Create(const ServerOptions& options, Storage storage,
                      const Clock* clock, JsonLog* event_log,
                      std::unique_ptr<Server>* out) {
  std::unique_ptr<Engine> engine;
  Status status = LoadDialogs(options.dialogs_dir, &engine, nullptr);
  if (!status.ok()) return status;
  std::unique_ptr<ReviewQueue> review_queue;
  if (!options.review_queue.empty()) {
    status = OpenReviewQueue(
        options.review_queue, clock,
        ReviewQueueOptions{.retention_days = options.review_retention_days},
        &review_queue);
    if (!status.ok()) return status;
  }
  out->reset(new Server(options, std::move(storage), clock, event_log,
                        std::move(engine), std::move(review_queue)));
  return (*out)->access_log_ == nullptr
             ? Status::InvalidArgument("access-log: cannot open " +
                                       options.access_log)
             : Status::OK();
}

Server::Server(const ServerOptions& options, Storage storage,
               const Clock* clock, JsonLog* event_log,
               std::shared_ptr<const Engine> engine,
               std::unique_ptr<ReviewQueue> review_queue)
    : options_(options),
      store_(std::move(storage.store)),
      review_queue_(std::move(review_queue)),
      event_log_(event_log),
      http_(
          ConnectionLimits{
              .request_deadline_seconds = options.request_deadline_seconds,
              .max_connections_per_address = static_cast<size_t>(
                  std::max(0, options.max_connections_per_address)),
              .exempt = options.trusted_proxies,
              .keep_alive_max_count = options.keep_alive_max_count,
              .keep_alive_timeout_seconds = options.keep_alive_timeout_seconds,
              .read_timeout_seconds = options.read_timeout_seconds,
              .write_timeout_seconds = options.write_timeout_seconds},
          [this](int status, const std::string& peer) {
            if (api_ != nullptr) api_->LogRefused(status, peer);
          }) {
  if (!JsonLog::Open(options.access_log, &access_log_).ok()) {
    access_log_.reset();
  }
  api_ = std::make_unique<Api>(options_, store_.get(), storage.rate_limiters,
                               clock, access_log_.get(), std::move(engine));
  api_->set_event_log(event_log_);
  api_->set_review_queue(review_queue_.get());
  serves_web_ = api_->Install(&http_);
  const size_t threads = static_cast<size_t>(options_.threads);
  // Idle and slow connections each hold a thread: grow past `threads` when
  // all are busy rather than queue new clients behind them.
  http_.new_task_queue = [threads] {
    return new ElasticThreadPool(threads,
                                 std::max(threads, kMaxConnectionThreads));
  };
  http_.set_tcp_nodelay(true);
  http_.set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_socket_ = sock;
  });
  http_.set_keep_alive_max_count(
      static_cast<size_t>(options_.keep_alive_max_count));
  http_.set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  http_.set_read_timeout(options_.read_timeout_seconds, 0);
  http_.set_write_timeout(options_.write_timeout_seconds, 0);
  sweeper_ = std::thread([this] { Sweep(); });
}

Server::~Server() {
  Stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  sweeper_.join();
  // The store closes last, after every request has finished.
}

Status Server::Bind(int* port) {
  bool bound = false;
  if (options_.port == 0) {
    *port = http_.bind_to_any_port(options_.host);
    bound = *port > 0;
  } else if (http_.bind_to_port(options_.host, options_.port)) {
    *port = options_.port;
    bound = true;
  }
  if (bound) {
    // httplib 0.11 listens with a backlog of 5: a burst of new connections
    // overflows it and clients are reset. Listening again sets a new backlog.
    if (listen_socket_ != INVALID_SOCKET) ::listen(listen_socket_, SOMAXCONN);
    return Status::OK();
  }
  return Status::Unavailable("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port));
}

void Server::Run() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
  http_.listen_after_bind();
}

void Server::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  http_.stop();
}

Status Server::ReloadDialogs() {
  std::unique_ptr<Engine> engine;
  std::vector<std::string> warnings;
  Status status = LoadDialogs(options_.dialogs_dir, &engine, &warnings);
  if (!status.ok()) {
    api_->metrics()->RecordReload("rejected");
    event_log_->Write({{"event", "dialogs_reload_rejected"},
                       {"dialogs", options_.dialogs_dir},
                       {"errors", status.message()}});
    return status;
  }
  api_->SetEngine(std::move(engine));
  api_->metrics()->RecordReload("ok");
  event_log_->Write({{"event", "dialogs_reloaded"},
                     {"dialogs", options_.dialogs_dir},
                     {"warnings", warnings}});
  return Status::OK();
}

void Server::Sweep() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock,
                         std::chrono::seconds(options_.sweep_interval_seconds),
                         [this] { return stopping_; })) {
    lock.unlock();
    api_->ForgetGoneConversations();
    if (review_queue_ != nullptr) {
      size_t removed = 0;
      const Status expired = review_queue_->DeleteExpired(&removed);
      if (!expired.ok()) {
        event_log_->Write(
            {{"event", "review_expiry_failed"}, {"error", expired.ToString()}});
      } else if (removed > 0) {
        event_log_->Write({{"event", "review_expired"}, {"items", removed}});
      }
    }
    size_t removed = 0;
    Status status = store_->ExpireIdle(&removed);
    if (!status.ok()) {
      event_log_->Write(
          {{"event", "expiry_failed"}, {"error", status.ToString()}});
    } else if (removed > 0) {
      event_log_->Write({{"event", "expired"}, {"conversations", removed}});
    }
    lock.lock();
  }
}

}  // namespace trustcoach::server
