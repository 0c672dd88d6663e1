#include "store/open.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

#include "store/store_memory.h"
#include "store/store_sqlite.h"
#if TRUSTCOACH_WITH_REDIS
#include "store/redis_client.h"
#include "store/store_redis.h"
#endif

namespace trustcoach::server {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";

Status OpenMemory(const StoreOptions& options, const Clock* clock,
                  Storage* out) {
  out->store = NewMemoryStore(
      clock,
      MemoryStoreOptions{
          .idle_expiry_millis = options.idle_expiry_seconds * 1000,
          .unanswered_expiry_millis = options.unanswered_expiry_seconds * 1000,
          .max_conversations = options.memory_max_conversations,
          .max_bytes = options.memory_max_bytes});
  out->rate_limiters = LocalRateLimiters(clock);
  out->description = "memory";
  return Status::OK();
}

Status OpenRedis(const StoreOptions& options, const Clock* clock,
                 Storage* out) {
#if TRUSTCOACH_WITH_REDIS
  RedisOptions redis;
  Status status = ParseRedisUrl(options.store, &redis);
  if (!status.ok()) return status;
  if (redis.pool_size == 0) redis.pool_size = options.store_connections;
  status = OpenRedisStore(
      redis, clock,
      RedisStoreOptions{
          .idle_expiry_millis = options.idle_expiry_seconds * 1000,
          .unanswered_expiry_millis = options.unanswered_expiry_seconds * 1000},
      &out->store, &out->rate_limiters);
  if (!status.ok()) return status;
  out->description = DescribeRedis(redis);
  return Status::OK();
#else
  (void)options;
  (void)clock;
  (void)out;
  return Status::InvalidArgument(
      "store: this trustcoach was built without Redis "
      "(TRUSTCOACH_WITH_REDIS=OFF)");
#endif
}

// The default SQLite file: trustcoach.db in `options.data_dir`, the folder
// created and made owner-only.
Status DefaultSqlitePath(const StoreOptions& options, std::string* path) {
  namespace fs = std::filesystem;
  if (options.data_dir.empty()) {
    return Status::InvalidArgument(
        "data-dir: needed for the default SQLite store");
  }
  const fs::path dir = options.data_dir;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return Status::Unavailable("cannot create data folder " + dir.string() +
                               ": " + error.message());
  }
  // Conversations are sensitive: only the server's user may read them.
  fs::permissions(dir, fs::perms::owner_all, error);
  *path = (dir / "trustcoach.db").string();
  return Status::OK();
}

Status OpenSqlite(const std::string& path, const StoreOptions& options,
                  const Clock* clock, Storage* out) {
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
          .idle_expiry_millis = options.idle_expiry_seconds * 1000,
          .unanswered_expiry_millis = options.unanswered_expiry_seconds * 1000,
          .max_conversations = options.sqlite_max_conversations,
          .max_bytes = options.sqlite_max_bytes,
          .sync = options.sqlite_synchronous == "normal"
                      ? SqliteStoreOptions::Sync::kNormal
                      : SqliteStoreOptions::Sync::kFull},
      &out->store);
  if (!status.ok()) return status;
  std::error_code error;
  std::filesystem::permissions(
      path,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      error);
  out->rate_limiters = LocalRateLimiters(clock);
  out->description = "sqlite:" + path;
  return Status::OK();
}

}  // namespace

Status OpenStore(const StoreOptions& options, const Clock* clock,
                 Storage* out) {
  const std::string_view name = options.store;
  if (name == "memory") return OpenMemory(options, clock, out);
  // redis:// and rediss://; ParseRedisUrl() names what is wrong with the rest.
  if (name.starts_with("redis")) return OpenRedis(options, clock, out);
  if (name.starts_with(kSqlitePrefix)) {
    return OpenSqlite(std::string(name.substr(kSqlitePrefix.size())), options,
                      clock, out);
  }
  if (name.empty()) {
    std::string path;
    Status status = DefaultSqlitePath(options, &path);
    if (!status.ok()) return status;
    return OpenSqlite(path, options, clock, out);
  }
  return Status::InvalidArgument(
      "store: expected memory, sqlite:PATH or redis://HOST[:PORT][/DB], "
      "got '" +
      options.store + "'");
}

}  // namespace trustcoach::server
