#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/status.h"
#include "server/options.h"

namespace trustcoach::server {

// Looks up an environment variable; returns null when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Fills `*options` from, highest precedence first:
//   1. flags in `args` (`--port 8080` or `--port=8080`),
//   2. environment variables TRUSTCOACH_<KEY> (`TRUSTCOACH_PORT`),
//   3. the config file named by `--config PATH` or TRUSTCOACH_CONFIG, with
//      lines `key = value` (`port = 8080`, `#` starts a comment),
//   4. the defaults in ServerOptions.
// A key is the flag's name without the dashes. List keys (api-key,
// allowed-origin) repeat as flags or file lines, or are comma-separated in
// the environment; the highest source that sets a list replaces it whole.
// Sets `*help` when `--help` or `-h` is given. Unknown keys, bad numbers and
// out-of-range values are InvalidArgument naming the key and its source.
Status LoadServerOptions(const std::vector<std::string>& args,
                         const EnvLookup& getenv, ServerOptions* options,
                         bool* help);

// The `trustcoach serve --help` text.
std::string ServerUsage();

}  // namespace trustcoach::server
