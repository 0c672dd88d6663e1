#pragma once

#include <string_view>

namespace trustcoach {

// This build's version: the one set in the top CMakeLists.txt. It sits at the
// bottom so that every layer can name it (the SQLite store records it with
// each schema migration; /healthz and the metrics report it).
std::string_view Version();

}  // namespace trustcoach
