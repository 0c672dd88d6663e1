#include "server/problem.h"

#include <cassert>
#include <tuple>
#include <utility>

namespace trustcoach::server {
namespace {

std::string ProblemType(int status) {
  switch (status) {
    case 400:
      return "urn:trustcoach:problem:bad-request";
    case 401:
      return "urn:trustcoach:problem:unauthorized";
    case 403:
      return "urn:trustcoach:problem:forbidden";
    case 404:
      return "urn:trustcoach:problem:not-found";
    case 405:
      return "urn:trustcoach:problem:method-not-allowed";
    case 409:
      return "urn:trustcoach:problem:conflict";
    case 411:
      return "urn:trustcoach:problem:length-required";
    case 413:
      return "urn:trustcoach:problem:too-large";
    case 415:
      return "urn:trustcoach:problem:unsupported-media-type";
    case 429:
      return "urn:trustcoach:problem:rate-limited";
    case 500:
      return "urn:trustcoach:problem:internal";
    case 503:
      return "urn:trustcoach:problem:unavailable";
    default:
      return "about:blank";
  }
}

}  // namespace

std::string_view ProblemTitle(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return status < 500 ? "Client Error" : "Server Error";
  }
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kInvalidArgument:
    case Status::Code::kFailedPrecondition:
      return 400;
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kAlreadyExists:
    case Status::Code::kAborted:
      return 409;
    case Status::Code::kResourceExhausted:
      return 429;
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kInternal:
      return 500;
  }
  return 500;
}

std::string DumpJson(const nlohmann::json& value) {
  // Replace, not throw: text the person typed may be invalid UTF-8.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SendJson(httplib::Response& response, int status,
              const nlohmann::json& body) {
  SendJsonText(response, status, DumpJson(body));
}

void AddFixedHeader(httplib::Response& response, std::string_view name,
                    std::string_view value) {
  assert(name.find_first_of("\r\n") == std::string_view::npos &&
         value.find_first_of("\r\n") == std::string_view::npos);
  response.headers.emplace(std::piecewise_construct,
                           std::forward_as_tuple(name),
                           std::forward_as_tuple(value));
}

void SendJsonText(httplib::Response& response, int status, std::string body) {
  response.status = status;
  response.body = std::move(body);  // set_content() would copy it
  AddFixedHeader(response, "Content-Type", "application/json");
}

// An RFC 9457 problem. `detail` never holds request text.
void SendProblem(httplib::Response& response, int status,
                 std::string_view detail) {
  SendProblem(response, status, detail, ProblemType(status));
}

void SendProblem(httplib::Response& response, int status,
                 std::string_view detail, std::string_view type) {
  response.status = status;
  response.set_content(DumpJson({{"type", type},
                                 {"title", ProblemTitle(status)},
                                 {"status", status},
                                 {"detail", detail}}),
                       "application/problem+json");
}

void SendStatus(httplib::Response& response, const Status& status) {
  const int code = HttpStatusFor(status);
  // Internal details (SQLite messages) stay in the server's log.
  SendProblem(response, code,
              code >= 500 ? "the service could not complete the request"
                          : status.message());
  if (code == 503) response.set_header("Retry-After", "1");
}

}  // namespace trustcoach::server
