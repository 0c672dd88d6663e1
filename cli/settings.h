#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "server/options.h"

namespace trustcoach::cli {

// The one configuration path of every subcommand (docs/configuration.md).
// Each command has a settings struct below; LoadSettings() fills it from,
// highest precedence first:
//   1. flags (`--seed 7`, `--seed=7`, a switch alone: `--explain`),
//   2. environment variables TRUSTCOACH_<KEY> (`TRUSTCOACH_SEED`: upper case,
//      '-' as '_'; lists comma-separated; switches 1/0, true/false, yes/no,
//      on/off),
//   3. the config file named by `--config FILE` or TRUSTCOACH_CONFIG, lines
//      `key = value` (`#` starts a comment; a list key repeats),
//   4. the defaults in the struct; the folders' defaults are filled in by
//      ResolveFolders() below, the one place that knows them.
// A key is the flag's name without its dashes, the same key in every command
// that reads it. Unknown flags and file keys that no command reads are
// errors (file keys of another command are ignored, so that one file serves
// them all); bad numbers and values out of range are errors naming the key.

// Looks up an environment variable; returns null when unset.
using EnvLookup = std::function<const char*(const char*)>;

struct ChatSettings {
  static constexpr const char* kCommand = "chat";
  std::string dialogs;
  bool explain = false;
  std::optional<uint64_t> seed;  // unset: a random one
  std::string region;
};

struct LintSettings {
  static constexpr const char* kCommand = "lint";
  std::string dialogs;
  std::vector<std::string> folders;  // [DIR]: wins over `dialogs`
};

struct TestSettings {
  static constexpr const char* kCommand = "test";
  std::string dialogs;
  bool coverage = false;
  double min_coverage = 0;
  std::string junit;
  std::vector<std::string> paths;  // FILE_OR_DIR...
};

struct AnalyzeSettings {
  static constexpr const char* kCommand = "analyze";
  std::string dialogs;
  std::string region;
  bool summary = false;
};

struct GraphSettings {
  static constexpr const char* kCommand = "graph";
  std::string dialogs;
  bool mermaid = false;
};

struct ReviewSettings {
  static constexpr const char* kCommand = "review";
  std::vector<std::string> action;  // "export"
  std::string db;                   // the queue's SQLite file
  std::string review_queue;         // as serve takes it: sqlite:PATH
};

// `trustcoach serve`: every field of ServerOptions (and its StoreOptions).
struct ServeSettings : server::ServerOptions {
  static constexpr const char* kCommand = "serve";
};

// Fills `*settings` as above. Sets `*help` (and reads nothing else) for
// `--help` or `-h`. On error, InvalidArgument whose message names the key,
// and `*source` says where the bad value came from: "--seed",
// "TRUSTCOACH_SEED" or "FILE:LINE".
template <typename Settings>
Status LoadSettings(const std::vector<std::string>& args,
                    const EnvLookup& getenv, Settings* settings, bool* help,
                    std::string* source);

// The option lines of `command`'s --help: one per key, with its default.
std::string OptionsHelp(std::string_view command);

// The defaults of the folders, each decided here only: an empty dialogs
// folder becomes the installed share/trustcoach/dialogs beside the binary's
// bin/ folder, else the source tree's; an empty web folder likewise
// share/trustcoach/web, else the source tree's server/web; an empty data
// folder $XDG_DATA_HOME/trustcoach, else ./data.
std::string DefaultDialogsDir();
std::string DefaultWebDir();
std::string DefaultDataDir(const EnvLookup& getenv);

// For each command's Run: loads `*settings` from argv (argv[0] is the
// command) and the process environment, printing `usage` and the options on
// --help (returns 0), or the error and its source on stderr (returns 2).
// Returns -1 when the command should go on.
template <typename Settings>
int LoadSettingsOrExit(int argc, char** argv, const char* usage,
                       Settings* settings);

// serve's settings as a library call, for tests: the same path as
// LoadSettings<ServeSettings>.
Status LoadServerOptions(const std::vector<std::string>& args,
                         const EnvLookup& getenv,
                         server::ServerOptions* options, bool* help);
// The `trustcoach serve --help` text.
std::string ServerUsage();

}  // namespace trustcoach::cli
