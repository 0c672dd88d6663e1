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
#include "server/store_memory.h"
#include "server/store_sqlite.h"
#include "server/thread_pool.h"
#if TRUSTCOACH_WITH_REDIS
#include "server/store_redis.h"
#endif

namespace trustcoach::server {
namespace {

// The most connections served at once (see ElasticThreadPool).
constexpr size_t kMaxConnectionThreads = 512;

}  // namespace

std::string DataDir(const ServerOptions& options, const EnvLookup& getenv) {
  if (!options.data_dir.empty()) return options.data_dir;
  if (const char* xdg = getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg) {
    return std::string(xdg) + "/trustcoach";
  }
  return "data";
}

Status OpenStore(const ServerOptions& options, const Clock* clock,
                 std::unique_ptr<SessionStore>* out, std::string* description) {
  const int64_t idle_millis = options.idle_expiry_seconds * 1000;
  if (options.store == "memory") {
    *out = NewMemoryStore(
        clock, MemoryStoreOptions{
                   .idle_expiry_millis = idle_millis,
                   .unanswered_expiry_millis =
                       options.unanswered_expiry_seconds * 1000,
                   .max_conversations = options.memory_max_conversations,
                   .max_bytes = options.memory_max_bytes});
    *description = "memory";
    return Status::OK();
  }
  if (options.store.starts_with("redis")) {  // redis:// and rediss://
#if TRUSTCOACH_WITH_REDIS
    RedisOptions redis;
    Status status = ParseRedisUrl(options.store, &redis);
    if (!status.ok()) return status;
    // One connection per worker thread, and one for the sweeper.
    if (redis.pool_size == 0) {
      redis.pool_size = static_cast<size_t>(options.threads) + 1;
    }
    status = OpenRedisStore(
        redis, clock,
        RedisStoreOptions{.idle_expiry_millis = idle_millis,
                          .unanswered_expiry_millis =
                              options.unanswered_expiry_seconds * 1000},
        out);
    if (!status.ok()) return status;
    *description = DescribeRedis(redis);
    return Status::OK();
#else
    return Status::InvalidArgument(
        "store: this trustcoach was built without Redis "
        "(TRUSTCOACH_WITH_REDIS=OFF)");
#endif
  }
  std::string path;
  if (options.store.rfind("sqlite:", 0) == 0) {
    path = options.store.substr(7);
  } else if (options.store.empty()) {
    namespace fs = std::filesystem;
    const fs::path dir =
        DataDir(options, [](const char* name) { return std::getenv(name); });
    std::error_code error;
    fs::create_directories(dir, error);
    if (error) {
      return Status::Unavailable("cannot create data folder " + dir.string() +
                                 ": " + error.message());
    }
    // Conversations are sensitive: only the server's user may read them.
    fs::permissions(dir, fs::perms::owner_all, error);
    path = (dir / "trustcoach.db").string();
  } else {
    return Status::InvalidArgument(
        "store: expected memory, sqlite:PATH or redis://HOST[:PORT][/DB], "
        "got '" +
        options.store + "'");
  }
  if (path.empty())
    return Status::InvalidArgument("store: sqlite: needs a path");
  // Created owner-only before SQLite opens it: SQLite gives the -wal and -shm
  // files it creates the database file's permissions. A database this
  // process cannot write is refused here, before SQLite opens it read-only
  // and leaves a -shm file with the database's modes that keeps failing
  // after the permissions are fixed.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("cannot write the database " + path + ": " +
                               std::strerror(errno) +
                               " (the server's user needs to read and write "
                               "it, and to write its folder)");
  }
  ::close(fd);
  const std::string folder =
      std::filesystem::path(path).parent_path().empty()
          ? std::string(".")
          : std::filesystem::path(path).parent_path().string();
  if (::access(folder.c_str(), W_OK) != 0) {
    return Status::Unavailable(
        "cannot write the folder " + folder + " of the database " + path +
        ": " + std::strerror(errno) +
        " (SQLite creates its -wal and -shm files there)");
  }
  Status status = OpenSqliteStore(
      path, clock,
      SqliteStoreOptions{
          .idle_expiry_millis = idle_millis,
          .unanswered_expiry_millis = options.unanswered_expiry_seconds * 1000,
          .max_conversations = options.sqlite_max_conversations,
          .max_bytes = options.sqlite_max_bytes,
          .sync = options.sqlite_synchronous == "normal"
                      ? SqliteStoreOptions::Sync::kNormal
                      : SqliteStoreOptions::Sync::kFull},
      out);
  if (!status.ok()) return status;
  std::error_code error;
  std::filesystem::permissions(
      path,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      error);
  *description = "sqlite:" + path;
  return Status::OK();
}

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
  std::unique_ptr<Engine> engine;
  Status status = LoadDialogs(options.dialogs_dir, &engine, nullptr);
  if (!status.ok()) return status;
  ServerOptions resolved = options;
  if (resolved.web_dir.empty()) resolved.web_dir = TRUSTCOACH_WEB_DIR;
  out->reset(new Server(resolved, std::move(store), clock, event_log,
                        std::move(engine)));
  return (*out)->access_log_ == nullptr
             ? Status::InvalidArgument("access-log: cannot open " +
                                       options.access_log)
             : Status::OK();
}

Server::Server(const ServerOptions& options,
               std::unique_ptr<SessionStore> store, const Clock* clock,
               JsonLog* event_log, std::shared_ptr<const Engine> engine)
    : options_(options),
      store_(std::move(store)),
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
  api_ = std::make_unique<Api>(options_, store_.get(), clock, access_log_.get(),
                               std::move(engine));
  api_->set_event_log(event_log_);
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
