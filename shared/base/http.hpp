#pragma once
// The request and response a handler sees. Nothing here does I/O: the
// FastCGI runtime (runtime/serve.hpp) fills a Request from the server's
// parameters and writes a Response back.

#include <cstddef>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace concert {

constexpr std::size_t kMaxBodyBytes = 16 * 1024;  // the contract's body limit

// The standard reason phrase of a status ("Conflict"); "Unknown" if none.
const char* reason_phrase(int status);

// {"statusCode": N, "message": "...", "error": "<reason phrase>"}
std::string error_body(int status, std::string_view message);

struct Request {
    std::string method;      // "GET", "POST", ...
    std::string path;        // decoded-free path as nginx passed it, no query
    std::string query;       // raw query string, without '?'
    std::map<std::string, std::string> headers;  // lower-case names; the last one if repeated
    std::set<std::string> repeated_headers;      // lower-case names that came more than once
    std::string body;
    std::string remote_addr;
    std::string request_id;  // nginx's $request_id, or empty

    // The header's value, by case-insensitive name.
    std::optional<std::string> header(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string body;  // JSON text, or empty (e.g. 204)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type = "application/json";
};

Response json_response(int status, std::string body);
Response error_response(const HttpError& error);

// The FastCGI output for a response: Status and Content-Type headers, a blank
// line, then the body. No Status header would mean 200 to nginx, so it is
// always written.
std::string render(const Response& response);

// Builds a Request from CGI-style parameters ("NAME=value" strings, as
// FastCGI passes them) and the body already read. Header names come from
// HTTP_* parameters plus CONTENT_TYPE.
Request request_from_params(const std::vector<std::string_view>& params, std::string body);

// True for a Content-Type of application/json, in any letter case, with or
// without parameters ("application/json; charset=utf-8").
bool is_json_media_type(std::string_view content_type);

// A request that carries a body must declare it as JSON: 415 otherwise, so a
// web page cannot make browsers send our API "simple" cross-site requests
// (text/plain, form encodings) that skip the CORS preflight.
void require_json_body(const Request& request);

// Reads CONTENT_LENGTH. Absent or empty means 0. Throws HttpError 400 if it
// is not a decimal number, 413 if it exceeds kMaxBodyBytes.
std::size_t parse_content_length(const char* value);

// Splits a query string into decoded name/value pairs. '+' is a space and
// %XX a byte. Throws HttpError 400 on a malformed escape or a repeated name
// (a repeated parameter is ambiguous, so it is refused).
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace concert
