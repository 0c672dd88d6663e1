#include "engine/status.h"

namespace trustcoach {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      name = "InvalidArgument";
      break;
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kAlreadyExists:
      name = "AlreadyExists";
      break;
    case Code::kFailedPrecondition:
      name = "FailedPrecondition";
      break;
    case Code::kAborted:
      name = "Aborted";
      break;
    case Code::kUnavailable:
      name = "Unavailable";
      break;
    case Code::kPermissionDenied:
      name = "PermissionDenied";
      break;
    case Code::kResourceExhausted:
      name = "ResourceExhausted";
      break;
    case Code::kInternal:
      name = "Internal";
      break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace trustcoach
