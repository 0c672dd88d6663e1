#pragma once

#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace trustcoach::server {

// The one mapping from Status to an HTTP status code.
int HttpStatusFor(const Status& status);

// The reason phrase of an HTTP status ("Not Found").
std::string_view ProblemTitle(int status);

// `value` as compact JSON; invalid UTF-8 (text a person typed) is replaced,
// never thrown on.
std::string DumpJson(const nlohmann::json& value);

// A JSON response.
void SendJson(httplib::Response& response, int status,
              const nlohmann::json& body);
// Adds a response header as Response::set_header() does, for a name and
// value this server chose (never request text; no CR or LF): without
// set_header()'s checks and temporary strings, which cost about half of it.
void AddFixedHeader(httplib::Response& response, std::string_view name,
                    std::string_view value);

// A JSON response whose text is already written (JsonWriter).
void SendJsonText(httplib::Response& response, int status, std::string body);

// An RFC 9457 application/problem+json response with `type`
// (urn:trustcoach:problem:...), `title`, `status` and `detail`. `detail`
// must never quote request text.
void SendProblem(httplib::Response& response, int status,
                 std::string_view detail);
// The same with a more specific `type` than the status's.
void SendProblem(httplib::Response& response, int status,
                 std::string_view detail, std::string_view type);

// The problem for `status` (HttpStatusFor()). 5xx details stay out of the
// response; 503 adds Retry-After.
void SendStatus(httplib::Response& response, const Status& status);

}  // namespace trustcoach::server
