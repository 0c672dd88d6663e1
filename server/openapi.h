#pragma once

#include <string_view>

namespace trustcoach::server {

// docs/openapi.json, embedded at build time (see server/CMakeLists.txt).
std::string_view OpenApiJson();

}  // namespace trustcoach::server
