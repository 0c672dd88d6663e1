#include "server/log.h"

#include <catch2/catch.hpp>

namespace trustcoach::server {
namespace {

TEST_CASE("FormatTime writes RFC 3339 UTC with milliseconds", "[server]") {
  CHECK(FormatTime(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatTime(951782400007) == "2000-02-29T00:00:00.007Z");
  CHECK(FormatTime(1795706744123) == "2026-11-26T15:25:44.123Z");
  CHECK(FormatTime(253402300799999) == "9999-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace trustcoach::server
