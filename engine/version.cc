#include "engine/version.h"

namespace trustcoach {

std::string_view Version() { return TRUSTCOACH_VERSION; }

}  // namespace trustcoach
