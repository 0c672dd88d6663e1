#include "server/config.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <string_view>

namespace trustcoach::server {
namespace {

// One configurable key: its name, its help line and how to apply a value.
struct Key {
  const char* name;
  const char* help;
  bool list;
  std::function<Status(const std::vector<std::string>& values,
                       ServerOptions* options)>
      apply;
};

template <typename Int>
Status ParseInt(std::string_view name, const std::string& text, Int min,
                Int max, Int* out) {
  Int value{};
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return Status::InvalidArgument(
        std::string(name) + ": expected an integer from " +
        std::to_string(min) + " to " + std::to_string(max) + ", got '" + text +
        "'");
  }
  *out = value;
  return Status::OK();
}

Status ParseDouble(std::string_view name, const std::string& text,
                   double* out) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value < 0) {
    return Status::InvalidArgument(
        std::string(name) + ": expected a number >= 0, got '" + text + "'");
  }
  *out = value;
  return Status::OK();
}

template <typename Int>
Key IntKey(const char* name, const char* help, Int ServerOptions::*field,
           Int min, Int max) {
  return {name, help, false,
          [=](const std::vector<std::string>& values, ServerOptions* options) {
            return ParseInt(name, values.back(), min, max, &(options->*field));
          }};
}

Key DoubleKey(const char* name, const char* help,
              double ServerOptions::*field) {
  return {name, help, false,
          [=](const std::vector<std::string>& values, ServerOptions* options) {
            return ParseDouble(name, values.back(), &(options->*field));
          }};
}

Key StringKey(const char* name, const char* help,
              std::string ServerOptions::*field) {
  return {name, help, false,
          [=](const std::vector<std::string>& values, ServerOptions* options) {
            options->*field = values.back();
            return Status::OK();
          }};
}

Key ListKey(const char* name, const char* help,
            std::vector<std::string> ServerOptions::*field) {
  return {name, help, true,
          [=](const std::vector<std::string>& values, ServerOptions* options) {
            (options->*field).clear();
            for (const std::string& value : values) {
              if (!value.empty()) (options->*field).push_back(value);
            }
            return Status::OK();
          }};
}

const std::vector<Key>& Keys() {
  using O = ServerOptions;
  static const std::vector<Key> keys = {
      StringKey("host", "address to listen on (127.0.0.1; 0.0.0.0 for all)",
                &O::host),
      IntKey("port", "TCP port, 0 picks a free one (8080)", &O::port, 0, 65535),
      IntKey("threads", "threads always kept; more start when all are busy (8)",
             &O::threads, 1, 1024),
      StringKey("dialogs", "dialog folder (the shipped dialogs)",
                &O::dialogs_dir),
      StringKey("web-dir", "demo page and widget files (server/web)",
                &O::web_dir),
      StringKey("store",
                "memory | sqlite:PATH | redis://HOST[:PORT][/DB] (SQLite in "
                "--data-dir)",
                &O::store),
      StringKey("data-dir",
                "folder of the default SQLite file "
                "($XDG_DATA_HOME/trustcoach, else ./data)",
                &O::data_dir),
      StringKey("sqlite-sync", "full | normal (full)", &O::sqlite_synchronous),
      IntKey<int64_t>("idle-expiry",
                      "seconds of inactivity before a conversation is "
                      "deleted (7200)",
                      &O::idle_expiry_seconds, 1, int64_t{10} * 365 * 86400),
      IntKey<int64_t>("sweep-interval", "seconds between expiry sweeps (60)",
                      &O::sweep_interval_seconds, 1, 86400),
      IntKey<int64_t>("unanswered-expiry",
                      "seconds before a conversation without any message "
                      "from the person is deleted (600)",
                      &O::unanswered_expiry_seconds, 1,
                      int64_t{10} * 365 * 86400),
      IntKey<size_t>("memory-max-conversations",
                     "memory store capacity (10000)",
                     &O::memory_max_conversations, 1, size_t{1} << 32),
      IntKey<size_t>("memory-max-bytes",
                     "memory store transcript bytes, all conversations "
                     "(268435456)",
                     &O::memory_max_bytes, 1, size_t{1} << 40),
      IntKey<size_t>("sqlite-max-conversations",
                     "SQLite store capacity, 0 = no cap (100000)",
                     &O::sqlite_max_conversations, 0, size_t{1} << 40),
      IntKey<size_t>("sqlite-max-bytes",
                     "SQLite database bytes in use, 0 = no cap (1073741824)",
                     &O::sqlite_max_bytes, 0, size_t{1} << 50),
      IntKey("max-turns", "messages per conversation, 0 = no cap (200)",
             &O::max_turns, 0, 1 << 30),
      IntKey<size_t>("max-conversation-bytes",
                     "transcript bytes per conversation, 0 = no cap (524288)",
                     &O::max_conversation_bytes, 0, size_t{1} << 40),
      IntKey("max-conversations-per-client",
             "live conversations per client address, 0 = no cap (20)",
             &O::max_conversations_per_client, 0, 1 << 30),
      ListKey("api-key", "require X-API-Key with this value (repeatable)",
              &O::api_keys),
      ListKey("allowed-origin",
              "browser origin allowed by CORS, or * (repeatable)",
              &O::allowed_origins),
      ListKey("trusted-proxy",
              "proxy address whose X-Forwarded-For is believed (repeatable)",
              &O::trusted_proxies),
      DoubleKey("client-rate",
                "requests per second per client address, 0 = off (10)",
                &O::client_rate),
      DoubleKey("client-burst", "burst per client address (40)",
                &O::client_burst),
      DoubleKey("conversation-rate",
                "messages per second per conversation, 0 = off (1)",
                &O::conversation_rate),
      DoubleKey("conversation-burst", "burst per conversation (10)",
                &O::conversation_burst),
      IntKey<size_t>("max-body-bytes", "largest request body (16384)",
                     &O::max_body_bytes, 64, size_t{64} << 20),
      IntKey("read-timeout", "seconds to wait for request bytes (5)",
             &O::read_timeout_seconds, 1, 3600),
      IntKey("write-timeout", "seconds to wait for a client to read (5)",
             &O::write_timeout_seconds, 1, 3600),
      IntKey("request-deadline",
             "seconds for a whole request to arrive, head and body (10)",
             &O::request_deadline_seconds, 1, 3600),
      IntKey("max-connections-per-address",
             "open connections per peer address, 0 = no limit (64)",
             &O::max_connections_per_address, 0, 1 << 20),
      IntKey("keep-alive-timeout", "idle seconds before closing (5)",
             &O::keep_alive_timeout_seconds, 0, 3600),
      IntKey("keep-alive-max", "requests per connection (100)",
             &O::keep_alive_max_count, 1, 100000),
      StringKey("access-log", "- (stdout) | off | PATH (-)", &O::access_log),
      StringKey("event-log", "stderr | - (stdout) | off | PATH (stderr)",
                &O::event_log),
      IntKey("drain-delay",
             "seconds to keep serving with /readyz 503 on stop (0)",
             &O::drain_delay_seconds, 0, 3600),
      IntKey("drain-timeout",
             "seconds requests in flight get to finish on stop (10)",
             &O::drain_timeout_seconds, 0, 3600),
  };
  return keys;
}

const Key* FindKey(std::string_view name) {
  for (const Key& key : Keys()) {
    if (name == key.name) return &key;
  }
  return nullptr;
}

std::string EnvName(std::string_view key) {
  std::string name = "TRUSTCOACH_";
  for (char c : key)
    name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

using Values = std::map<std::string, std::vector<std::string>>;

Status ParseFlags(const std::vector<std::string>& args, Values* flags,
                  std::string* config, bool* help) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") {
      return Status::InvalidArgument("unexpected argument '" + args[i] + "'");
    }
    std::string name(arg.substr(2));
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument("--" + name + " needs a value");
    }
    if (name == "config") {
      *config = value;
    } else if (FindKey(name) == nullptr) {
      return Status::InvalidArgument("unknown flag --" + name);
    } else {
      (*flags)[name].push_back(value);
    }
  }
  return Status::OK();
}

Status ParseFile(const std::string& path, Values* file) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(path + ": cannot read config file");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text = Trim(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const auto eq = text.find('=');
    const std::string name = Trim(text.substr(0, eq));
    if (eq == std::string::npos || FindKey(name) == nullptr) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) +
                                     ": expected 'key = value' with a known "
                                     "key, got '" +
                                     text + "'");
    }
    (*file)[name].push_back(Trim(text.substr(eq + 1)));
  }
  return Status::OK();
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    parts.push_back(Trim(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return parts;
}

}  // namespace

Status LoadServerOptions(const std::vector<std::string>& args,
                         const EnvLookup& getenv, ServerOptions* options,
                         bool* help) {
  *help = false;
  Values flags;
  std::string config_path;
  Status status = ParseFlags(args, &flags, &config_path, help);
  if (!status.ok() || *help) return status;
  if (config_path.empty()) {
    if (const char* env = getenv("TRUSTCOACH_CONFIG")) config_path = env;
  }
  Values merged;
  if (!config_path.empty()) {
    status = ParseFile(config_path, &merged);
    if (!status.ok()) return status;
  }
  for (const Key& key : Keys()) {
    const std::string env_name = EnvName(key.name);
    if (const char* env = getenv(env_name.c_str())) {
      merged[key.name] =
          key.list ? SplitCommas(env) : std::vector<std::string>{env};
    }
  }
  for (auto& [name, values] : flags) merged[name] = values;
  for (const auto& [name, values] : merged) {
    status = FindKey(name)->apply(values, options);
    if (!status.ok()) return status;
  }
  if (options->sqlite_synchronous != "full" &&
      options->sqlite_synchronous != "normal") {
    return Status::InvalidArgument(
        "sqlite-sync: expected full or normal, got '" +
        options->sqlite_synchronous + "'");
  }
  return Status::OK();
}

std::string ServerUsage() {
  std::string usage =
      "usage: trustcoach serve [--KEY VALUE]... [--config FILE]\n\n"
      "Serves the HTTP API, the demo page and the widget.\n"
      "Each KEY may also come from the environment as TRUSTCOACH_KEY\n"
      "(upper case, '-' as '_', lists comma-separated) or from a config file\n"
      "(--config FILE or TRUSTCOACH_CONFIG; lines 'key = value').\n"
      "Flags win over the environment, which wins over the file.\n\n";
  for (const Key& key : Keys()) {
    std::string flag = "  --" + std::string(key.name);
    flag.resize(std::max<size_t>(flag.size() + 2, 32), ' ');
    usage += flag + key.help + "\n";
  }
  usage += "  --config FILE                 read keys from FILE\n";
  return usage;
}

}  // namespace trustcoach::server
