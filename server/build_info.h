#pragma once

#include <string>
#include <string_view>

#include "engine/version.h"

namespace trustcoach::server {

// What is running, for /healthz, trustcoach_build_info and the logs.

// This build's version is Version() (engine/version.h).

// A content hash of the dialog set in `dir`: SHA-256 over every *.json file
// below it, each as its path relative to `dir`, a NUL, its size, a NUL and
// its bytes, in path order; the first 16 hex digits. Two folders with the
// same files hash the same wherever they are. "" when `dir` cannot be read.
std::string DialogsHash(const std::string& dir);

// The trustcoach_build_info gauge (always 1) in the Prometheus text format,
// labelled with the version and the dialog set's version and hash.
std::string BuildInfoMetric(std::string_view dialogs_version,
                            std::string_view dialogs_hash);

}  // namespace trustcoach::server
