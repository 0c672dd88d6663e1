#include "cli/settings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace trustcoach::cli {
namespace {

// How a key takes its value: a value (`--port 8080`), a switch (`--explain`,
// `--explain=false`), or a list (repeated flags or file lines, commas in the
// environment).
enum class Kind { kValue, kSwitch, kList };

struct Key {
  std::string name;
  std::string help;
  Kind kind;
  std::function<Status(const std::vector<std::string>& values)> apply;
};

std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

template <typename Int>
Status ParseInt(const std::string& name, const std::string& text, Int min,
                Int max, Int* out) {
  Int value{};
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value < min ||
      value > max) {
    return Status::InvalidArgument(
        name + ": expected an integer from " + std::to_string(min) + " to " +
        std::to_string(max) + ", got '" + text + "'");
  }
  *out = value;
  return Status::OK();
}

// The keys one command reads, each bound to a field of its settings struct.
class KeySet {
 public:
  void Text(const char* name, std::string* out, const char* help) {
    Add(name, help, Kind::kValue, [out](const auto& values) {
      *out = values.back();
      return Status::OK();
    });
  }

  template <typename Int>
  void Integer(const char* name, Int* out, Int min, Int max, const char* help) {
    Add(name, help, Kind::kValue, [=](const auto& values) {
      return ParseInt(name, values.back(), min, max, out);
    });
  }

  template <typename Int>
  void OptionalInteger(const char* name, std::optional<Int>* out, Int min,
                       Int max, const char* help) {
    Add(name, help, Kind::kValue, [=](const auto& values) {
      Int value{};
      Status status = ParseInt(name, values.back(), min, max, &value);
      if (status.ok()) *out = value;
      return status;
    });
  }

  // A number from `min` to `max` (no upper bound when `max` is infinite).
  void Number(const char* name, double* out, double min, double max,
              const char* help) {
    Add(name, help, Kind::kValue, [=](const auto& values) {
      const std::string& text = values.back();
      double value = 0;
      const char* end = text.data() + text.size();
      auto [stop, error] = std::from_chars(text.data(), end, value);
      if (text.empty() || error != std::errc() || stop != end ||
          !std::isfinite(value) || value < min || value > max) {
        const std::string range =
            std::isinf(max)
                ? ">= " + FormatNumber(min)
                : "from " + FormatNumber(min) + " to " + FormatNumber(max);
        return Status::InvalidArgument(std::string(name) +
                                       ": expected a number " + range +
                                       ", got '" + text + "'");
      }
      *out = value;
      return Status::OK();
    });
  }

  void Switch(const char* name, bool* out, const char* help) {
    Add(name, help, Kind::kSwitch, [=](const auto& values) {
      std::string text = values.back();
      std::transform(text.begin(), text.end(), text.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      for (const char* yes : {"true", "1", "yes", "on"}) {
        if (text == yes) {
          *out = true;
          return Status::OK();
        }
      }
      for (const char* no : {"false", "0", "no", "off"}) {
        if (text == no) {
          *out = false;
          return Status::OK();
        }
      }
      return Status::InvalidArgument(std::string(name) +
                                     ": expected true or false, got '" +
                                     values.back() + "'");
    });
  }

  // Empty values are dropped, so `TRUSTCOACH_API_KEY=` sets an empty list.
  void List(const char* name, std::vector<std::string>* out, const char* help) {
    Add(name, help, Kind::kList, [out](const auto& values) {
      out->clear();
      for (const std::string& value : values) {
        if (!value.empty()) out->push_back(value);
      }
      return Status::OK();
    });
  }

  void Choice(const char* name, std::string* out,
              std::vector<std::string> choices, const char* help) {
    Add(name, help, Kind::kValue, [=](const auto& values) {
      if (std::find(choices.begin(), choices.end(), values.back()) !=
          choices.end()) {
        *out = values.back();
        return Status::OK();
      }
      std::string expected;
      for (size_t i = 0; i < choices.size(); ++i) {
        expected += (i == 0                    ? ""
                     : i + 1 == choices.size() ? " or "
                                               : ", ") +
                    choices[i];
      }
      return Status::InvalidArgument(std::string(name) + ": expected " +
                                     expected + ", got '" + values.back() +
                                     "'");
    });
  }

  // Arguments that are not flags, at most `max` of them.
  void Positionals(std::vector<std::string>* out, size_t max) {
    positionals_ = out;
    max_positionals_ = max;
  }

  const Key* Find(std::string_view name) const {
    for (const Key& key : keys_) {
      if (key.name == name) return &key;
    }
    return nullptr;
  }
  const std::vector<Key>& keys() const { return keys_; }
  std::vector<std::string>* positionals() const { return positionals_; }
  size_t max_positionals() const { return max_positionals_; }

 private:
  void Add(const char* name, const char* help, Kind kind,
           std::function<Status(const std::vector<std::string>&)> apply) {
    keys_.push_back({name, help, kind, std::move(apply)});
  }

  std::vector<Key> keys_;
  std::vector<std::string>* positionals_ = nullptr;
  size_t max_positionals_ = 0;
};

// --- Each command's keys. A key read by several commands has one name and
// one meaning in all of them.

void DialogsKey(KeySet* keys, std::string* out) {
  keys->Text("dialogs", out, "dialog folder (the shipped dialogs)");
}

void RegionKey(KeySet* keys, std::string* out) {
  keys->Text("region", out, "region for helplines, e.g. GB, US, en-IE (none)");
}

void Declare(ChatSettings* s, KeySet* keys) {
  DialogsKey(keys, &s->dialogs);
  keys->Switch("explain", &s->explain,
               "print why after each reply, as JSON (off)");
  keys->OptionalInteger<uint64_t>("seed", &s->seed, 0,
                                  std::numeric_limits<uint64_t>::max(),
                                  "fix the variant choice (random)");
  RegionKey(keys, &s->region);
}

void Declare(LintSettings* s, KeySet* keys) {
  DialogsKey(keys, &s->dialogs);
  keys->Positionals(&s->folders, 1);
}

void Declare(TestSettings* s, KeySet* keys) {
  DialogsKey(keys, &s->dialogs);
  keys->Switch("coverage", &s->coverage,
               "print the nodes, intents, transitions and safety rules the "
               "transcripts reach, and those never reached (off)");
  keys->Number("min-coverage", &s->min_coverage, 0, 100,
               "with coverage: exit 1 if fewer than this percentage of the "
               "nodes or of the intents are reached (0)");
  keys->Text("junit", &s->junit, "write the results as JUnit XML to FILE");
  keys->Positionals(&s->paths, std::numeric_limits<size_t>::max());
}

void Declare(AnalyzeSettings* s, KeySet* keys) {
  DialogsKey(keys, &s->dialogs);
  RegionKey(keys, &s->region);
  keys->Switch("summary", &s->summary,
               "print counts per intent, topic and safety level instead (off)");
}

void Declare(GraphSettings* s, KeySet* keys) {
  DialogsKey(keys, &s->dialogs);
  keys->Switch("mermaid", &s->mermaid, "print Mermaid instead of DOT (off)");
}

void Declare(ReviewSettings* s, KeySet* keys) {
  keys->Text("db", &s->db,
             "the review queue's SQLite file (from review-queue)");
  keys->Text("review-queue", &s->review_queue,
             "the queue as serve takes it: sqlite:PATH");
  keys->Positionals(&s->action, 1);
}

void Declare(ServeSettings* s, KeySet* keys) {
  using O = server::ServerOptions;
  O* o = s;
  keys->Text("host", &o->host,
             "address to listen on (127.0.0.1; 0.0.0.0 for all)");
  keys->Integer("port", &o->port, 0, 65535,
                "TCP port, 0 picks a free one (8080)");
  keys->Integer("threads", &o->threads, 1, 1024,
                "threads always kept; more start when all are busy (8)");
  keys->Text("dialogs", &o->dialogs_dir, "dialog folder (the shipped dialogs)");
  keys->Text("web-dir", &o->web_dir,
             "demo page and widget files (the shipped web folder)");
  keys->Text("store", &o->store,
             "memory | sqlite:PATH | redis://HOST[:PORT][/DB] (SQLite in "
             "--data-dir)");
  keys->Text("data-dir", &o->data_dir,
             "folder of the default SQLite file "
             "($XDG_DATA_HOME/trustcoach, else ./data)");
  keys->Text("review-queue", &o->review_queue,
             "keep messages that fell back or got a check-in, without ids: "
             "sqlite:PATH (off)");
  keys->Integer("review-retention", &o->review_retention_days, 1, 3650,
                "days review items are kept (30)");
  keys->Choice("sqlite-sync", &o->sqlite_synchronous, {"full", "normal"},
               "full | normal (full)");
  keys->Integer<int64_t>(
      "idle-expiry", &o->idle_expiry_seconds, 1, int64_t{10} * 365 * 86400,
      "seconds of inactivity before a conversation is deleted (7200)");
  keys->Integer<int64_t>("sweep-interval", &o->sweep_interval_seconds, 1, 86400,
                         "seconds between expiry sweeps (60)");
  keys->Integer<int64_t>("unanswered-expiry", &o->unanswered_expiry_seconds, 1,
                         int64_t{10} * 365 * 86400,
                         "seconds before a conversation without any message "
                         "from the person is deleted (600)");
  keys->Integer<size_t>("memory-max-conversations",
                        &o->memory_max_conversations, 1, size_t{1} << 32,
                        "memory store capacity (10000)");
  keys->Integer<size_t>("memory-max-bytes", &o->memory_max_bytes, 1,
                        size_t{1} << 40,
                        "memory store transcript bytes, all conversations "
                        "(268435456)");
  keys->Integer<size_t>("sqlite-max-conversations",
                        &o->sqlite_max_conversations, 0, size_t{1} << 40,
                        "SQLite store capacity, 0 = no cap (100000)");
  keys->Integer<size_t>(
      "sqlite-max-bytes", &o->sqlite_max_bytes, 0, size_t{1} << 50,
      "SQLite database bytes in use, 0 = no cap (1073741824)");
  keys->Integer("max-turns", &o->max_turns, 0, 1 << 30,
                "messages per conversation, 0 = no cap (200)");
  keys->Integer<size_t>(
      "max-conversation-bytes", &o->max_conversation_bytes, 0, size_t{1} << 40,
      "transcript bytes per conversation, 0 = no cap (524288)");
  keys->Integer("max-conversations-per-client",
                &o->max_conversations_per_client, 0, 1 << 30,
                "live conversations per client address, 0 = no cap (20)");
  keys->List("api-key", &o->api_keys,
             "require X-API-Key with this value (repeatable)");
  keys->List("allowed-origin", &o->allowed_origins,
             "browser origin allowed by CORS, or * (repeatable)");
  keys->List("trusted-proxy", &o->trusted_proxies,
             "proxy address whose X-Forwarded-For is believed (repeatable)");
  const double kNoMax = std::numeric_limits<double>::infinity();
  keys->Number("client-rate", &o->client_rate, 0, kNoMax,
               "requests per second per client address, 0 = off (10)");
  keys->Number("client-burst", &o->client_burst, 0, kNoMax,
               "burst per client address (40)");
  keys->Number("conversation-rate", &o->conversation_rate, 0, kNoMax,
               "messages per second per conversation, 0 = off (1)");
  keys->Number("conversation-burst", &o->conversation_burst, 0, kNoMax,
               "burst per conversation (10)");
  keys->Integer<size_t>("max-body-bytes", &o->max_body_bytes, 64,
                        size_t{64} << 20, "largest request body (16384)");
  keys->Integer("read-timeout", &o->read_timeout_seconds, 1, 3600,
                "seconds to wait for request bytes (5)");
  keys->Integer("write-timeout", &o->write_timeout_seconds, 1, 3600,
                "seconds to wait for a client to read (5)");
  keys->Integer("request-deadline", &o->request_deadline_seconds, 1, 3600,
                "seconds for a whole request to arrive, head and body (10)");
  keys->Integer("max-connections-per-address", &o->max_connections_per_address,
                0, 1 << 20,
                "open connections per peer address, 0 = no limit (64)");
  keys->Integer("keep-alive-timeout", &o->keep_alive_timeout_seconds, 0, 3600,
                "idle seconds before closing (5)");
  keys->Integer("keep-alive-max", &o->keep_alive_max_count, 1, 100000,
                "requests per connection (100)");
  keys->Text("access-log", &o->access_log, "- (stdout) | off | PATH (-)");
  keys->Text("event-log", &o->event_log,
             "stderr | - (stdout) | off | PATH (stderr)");
  keys->Integer("drain-delay", &o->drain_delay_seconds, 0, 3600,
                "seconds to keep serving with /readyz 503 on stop (0)");
  keys->Integer("drain-timeout", &o->drain_timeout_seconds, 0, 3600,
                "seconds requests in flight get to finish on stop (10)");
  keys->OptionalInteger<uint64_t>("variant-seed", &o->variant_seed, 0,
                                  std::numeric_limits<uint64_t>::max(),
                                  "evaluation: every conversation's reply "
                                  "variants from this seed (random)");
}

// --- The folders' defaults, filled in after loading.

void Resolve(ChatSettings* s, const EnvLookup&) {
  if (s->dialogs.empty()) s->dialogs = DefaultDialogsDir();
}
void Resolve(LintSettings* s, const EnvLookup&) {
  if (!s->folders.empty()) s->dialogs = s->folders.front();
  if (s->dialogs.empty()) s->dialogs = DefaultDialogsDir();
}
void Resolve(TestSettings* s, const EnvLookup&) {
  if (s->dialogs.empty()) s->dialogs = DefaultDialogsDir();
}
void Resolve(AnalyzeSettings* s, const EnvLookup&) {
  if (s->dialogs.empty()) s->dialogs = DefaultDialogsDir();
}
void Resolve(GraphSettings* s, const EnvLookup&) {
  if (s->dialogs.empty()) s->dialogs = DefaultDialogsDir();
}
void Resolve(ReviewSettings* s, const EnvLookup&) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (s->db.empty() && s->review_queue.starts_with(kSqlite)) {
    s->db = s->review_queue.substr(kSqlite.size());
  }
}
void Resolve(ServeSettings* s, const EnvLookup& getenv) {
  if (s->dialogs_dir.empty()) s->dialogs_dir = DefaultDialogsDir();
  if (s->web_dir.empty()) s->web_dir = DefaultWebDir();
  if (s->data_dir.empty()) s->data_dir = DefaultDataDir(getenv);
}

// Every command's keys, for --help and to tell a file key that another
// command reads from one that none does.
struct AllCommands {
  ChatSettings chat;
  LintSettings lint;
  TestSettings test;
  AnalyzeSettings analyze;
  GraphSettings graph;
  ReviewSettings review;
  ServeSettings serve;
  std::map<std::string, KeySet, std::less<>> keys;

  AllCommands() {
    auto add = [this](auto* settings) {
      Declare(settings, &keys[settings->kCommand]);
    };
    add(&chat);
    add(&lint);
    add(&test);
    add(&analyze);
    add(&graph);
    add(&review);
    add(&serve);
  }
};

const AllCommands& Commands() {
  static const AllCommands* const commands = new AllCommands();
  return *commands;
}

bool AnyCommandReads(std::string_view name) {
  for (const auto& [command, keys] : Commands().keys) {
    if (keys.Find(name) != nullptr) return true;
  }
  return false;
}

std::string EnvName(std::string_view key) {
  std::string name = "TRUSTCOACH_";
  for (char c : key) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  }
  return name;
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

// The values a key got from its highest source, and where from.
struct Setting {
  std::vector<std::string> values;
  std::string source;
};
using Settings = std::map<std::string, Setting>;

Status ParseFlags(const KeySet& keys, const std::vector<std::string>& args,
                  Settings* flags, std::string* config, bool* help) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return Status::OK();
    }
    if (arg.size() < 3 || !arg.starts_with("--")) {
      if (keys.positionals() == nullptr ||
          keys.positionals()->size() >= keys.max_positionals()) {
        return Status::InvalidArgument("unexpected argument '" + args[i] + "'");
      }
      keys.positionals()->push_back(args[i]);
      continue;
    }
    std::string name(arg.substr(2));
    std::string value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Key* key = keys.Find(name);
    if (key == nullptr && name != "config") {
      return Status::InvalidArgument("unknown flag --" + name);
    }
    if (eq == std::string::npos) {
      if (key != nullptr && key->kind == Kind::kSwitch) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Status::InvalidArgument("--" + name + " needs a value");
      }
    }
    if (key == nullptr) {
      *config = value;
      continue;
    }
    Setting& setting = (*flags)[name];
    setting.values.push_back(value);
    setting.source = "--" + name;
  }
  return Status::OK();
}

Status ParseFile(const KeySet& keys, const std::string& path, Settings* file) {
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
    const std::string where = path + ":" + std::to_string(number);
    if (eq == std::string::npos || !AnyCommandReads(name)) {
      return Status::InvalidArgument(
          where + ": expected 'key = value' with a known key, got '" + text +
          "'");
    }
    if (keys.Find(name) == nullptr) continue;  // another command's key
    Setting& setting = (*file)[name];
    setting.values.push_back(Trim(text.substr(eq + 1)));
    setting.source = where;
  }
  return Status::OK();
}

Status LoadKeys(const KeySet& keys, const std::vector<std::string>& args,
                const EnvLookup& getenv, bool* help, std::string* source) {
  *help = false;
  source->clear();
  Settings flags;
  std::string config_path;
  Status status = ParseFlags(keys, args, &flags, &config_path, help);
  if (!status.ok() || *help) return status;
  if (config_path.empty()) {
    if (const char* env = getenv("TRUSTCOACH_CONFIG")) config_path = env;
  }
  Settings merged;
  if (!config_path.empty()) {
    status = ParseFile(keys, config_path, &merged);
    if (!status.ok()) return status;
  }
  for (const Key& key : keys.keys()) {
    const std::string env_name = EnvName(key.name);
    if (const char* env = getenv(env_name.c_str())) {
      merged[key.name] = {key.kind == Kind::kList
                              ? SplitCommas(env)
                              : std::vector<std::string>{env},
                          env_name};
    }
  }
  for (auto& [name, setting] : flags) merged[name] = std::move(setting);
  for (const Key& key : keys.keys()) {
    const auto it = merged.find(key.name);
    if (it == merged.end()) continue;
    status = key.apply(it->second.values);
    if (!status.ok()) {
      *source = it->second.source;
      return status;
    }
  }
  return Status::OK();
}

std::string InstalledDataDir(const char* name) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return "";
  const fs::path dir =
      (exe.parent_path() / TRUSTCOACH_DATA_FROM_BIN / name).lexically_normal();
  return fs::is_directory(dir, error) ? dir.string() : "";
}

}  // namespace

std::string DefaultDialogsDir() {
  std::string installed = InstalledDataDir("dialogs");
  return installed.empty() ? TRUSTCOACH_DIALOGS_DIR : installed;
}

std::string DefaultWebDir() {
  std::string installed = InstalledDataDir("web");
  return installed.empty() ? TRUSTCOACH_WEB_DIR : installed;
}

std::string DefaultDataDir(const EnvLookup& getenv) {
  if (const char* xdg = getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg) {
    return std::string(xdg) + "/trustcoach";
  }
  return "data";
}

template <typename Settings>
Status LoadSettings(const std::vector<std::string>& args,
                    const EnvLookup& getenv, Settings* settings, bool* help,
                    std::string* source) {
  KeySet keys;
  Declare(settings, &keys);
  Status status = LoadKeys(keys, args, getenv, help, source);
  if (status.ok() && !*help) Resolve(settings, getenv);
  return status;
}

std::string OptionsHelp(std::string_view command) {
  const auto it = Commands().keys.find(command);
  if (it == Commands().keys.end()) return "";
  std::string help =
      "Options (each KEY also as TRUSTCOACH_KEY in the environment, upper\n"
      "case with '_' for '-', or as 'key = value' in the config file; flags\n"
      "win over the environment, which wins over the file):\n";
  for (const Key& key : it->second.keys()) {
    std::string flag = "  --" + key.name;
    if (key.kind != Kind::kSwitch) flag += " VALUE";
    flag.resize(std::max<size_t>(flag.size() + 2, 32), ' ');
    help += flag + key.help + "\n";
  }
  help +=
      "  --config FILE                 read keys from FILE "
      "($TRUSTCOACH_CONFIG)\n"
      "  --help                        print this help\n";
  return help;
}

template <typename Settings>
int LoadSettingsOrExit(int argc, char** argv, const char* usage,
                       Settings* settings) {
  bool help = false;
  std::string source;
  const Status status = LoadSettings(
      std::vector<std::string>(argv + 1, argv + argc),
      [](const char* name) { return std::getenv(name); }, settings, &help,
      &source);
  if (help) {
    std::printf("%s\n%s", usage, OptionsHelp(Settings::kCommand).c_str());
    return 0;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "trustcoach %s: %s%s\nRun 'trustcoach %s --help'.\n",
                 Settings::kCommand, status.message().c_str(),
                 source.empty() ? "" : (" (" + source + ")").c_str(),
                 Settings::kCommand);
    return 2;
  }
  return -1;
}

Status LoadServerOptions(const std::vector<std::string>& args,
                         const EnvLookup& getenv,
                         server::ServerOptions* options, bool* help) {
  ServeSettings settings;
  std::string source;
  Status status = LoadSettings(args, getenv, &settings, help, &source);
  if (status.ok()) *options = settings;
  return status;
}

std::string ServerUsage() {
  return "Usage: trustcoach serve [--KEY VALUE]... [--config FILE]\n\n"
         "Serves the HTTP API, the demo page and the widget.\n\n" +
         OptionsHelp(ServeSettings::kCommand);
}

#define TRUSTCOACH_SETTINGS(Type)                                             \
  template Status LoadSettings(const std::vector<std::string>&,               \
                               const EnvLookup&, Type*, bool*, std::string*); \
  template int LoadSettingsOrExit(int, char**, const char*, Type*);
TRUSTCOACH_SETTINGS(ChatSettings)
TRUSTCOACH_SETTINGS(LintSettings)
TRUSTCOACH_SETTINGS(TestSettings)
TRUSTCOACH_SETTINGS(AnalyzeSettings)
TRUSTCOACH_SETTINGS(GraphSettings)
TRUSTCOACH_SETTINGS(ReviewSettings)
TRUSTCOACH_SETTINGS(ServeSettings)
#undef TRUSTCOACH_SETTINGS

}  // namespace trustcoach::cli
