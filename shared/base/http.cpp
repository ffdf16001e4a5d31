#include "base/http.hpp"

#include <cctype>

#include "base/json.hpp"

namespace concert {

namespace {

struct Reason {
    int status;
    const char* phrase;
};

constexpr Reason kReasons[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Payload Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= in.size()) {
                throw HttpError{400, "Malformed query string"};
            }
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) throw HttpError{400, "Malformed query string"};
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

const char* reason_phrase(int status) {
    for (const Reason& r : kReasons) {
        if (r.status == status) return r.phrase;
    }
    return "Unknown";
}

std::string error_body(int status, std::string_view message) {
    JsonPtr obj = new_object();
    add_int(obj.get(), "statusCode", status);
    add_string(obj.get(), "message", message);
    add_string(obj.get(), "error", reason_phrase(status));
    return to_text(obj.get());
}

std::optional<std::string> Request::header(std::string_view name) const {
    auto it = headers.find(lower(name));
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

Response json_response(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response error_response(const HttpError& error) {
    Response r = json_response(error.status, error_body(error.status, error.message));
    r.headers = error.headers;
    return r;
}

std::string render(const Response& response) {
    std::string out = "Status: " + std::to_string(response.status) + " " +
                      reason_phrase(response.status) + "\r\n";
    if (response.status != 204) {
        out += "Content-Type: " + response.content_type + "\r\nContent-Length: " + std::to_string(response.body.size()) +
               "\r\n";
    }
    for (const auto& [name, value] : response.headers) {
        out += name + ": " + value + "\r\n";
    }
    out += "\r\n";
    if (response.status != 204) out += response.body;
    return out;
}

Request request_from_params(const std::vector<std::string_view>& params, std::string body) {
    Request req;
    req.body = std::move(body);
    std::string uri;
    for (std::string_view p : params) {
        std::size_t eq = p.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view name = p.substr(0, eq);
        std::string_view value = p.substr(eq + 1);
        if (name == "REQUEST_METHOD") {
            req.method = value;
        } else if (name == "DOCUMENT_URI") {
            req.path = value;
        } else if (name == "REQUEST_URI") {
            uri = value;
        } else if (name == "QUERY_STRING") {
            req.query = value;
        } else if (name == "REMOTE_ADDR") {
            req.remote_addr = value;
        } else if (name == "REQUEST_ID") {
            req.request_id = value;
        } else if (name == "CONTENT_TYPE") {
            req.headers["content-type"] = value;
        } else if (name == "HTTP_CONTENT_TYPE" || name == "HTTP_CONTENT_LENGTH") {
            // nginx passes these twice: CONTENT_TYPE and CONTENT_LENGTH are the ones read.
        } else if (name.substr(0, 5) == "HTTP_") {
            std::string h = lower(name.substr(5));
            for (char& c : h) {
                if (c == '_') c = '-';
            }
            // nginx (before 1.23) passes a repeated header line as a second
            // parameter of the same name: remember it, so that a reader for
            // which a repeat is ambiguous (Idempotency-Key) can refuse it.
            if (!req.headers.emplace(h, value).second) {
                req.repeated_headers.insert(h);
                req.headers[h] = value;
            }
        }
    }
    // DOCUMENT_URI is nginx's normalised path; fall back to the raw URI's path.
    if (req.path.empty()) req.path = uri.substr(0, uri.find('?'));
    return req;
}

bool is_json_media_type(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    std::size_t first = type.find_first_not_of(" \t");
    std::size_t last = type.find_last_not_of(" \t");
    if (first == std::string_view::npos) return false;
    return lower(type.substr(first, last - first + 1)) == "application/json";
}

void require_json_body(const Request& request) {
    if (request.body.empty()) return;
    std::optional<std::string> type = request.header("content-type");
    if (!type || !is_json_media_type(*type)) {
        throw HttpError{415, "Content-Type must be application/json"};
    }
}

std::size_t parse_content_length(const char* value) {
    if (value == nullptr || *value == '\0') return 0;
    std::size_t n = 0;
    for (const char* p = value; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') throw HttpError{400, "Invalid Content-Length"};
        n = n * 10 + static_cast<std::size_t>(*p - '0');
        if (n > kMaxBodyBytes) throw HttpError{413, "Request body is larger than 16 KiB"};
    }
    return n;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        std::string_view pair = query.substr(start, end - start);
        if (!pair.empty()) {
            std::size_t eq = pair.find('=');
            std::string name = percent_decode(pair.substr(0, eq));
            std::string value =
                eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
            if (!out.emplace(name, value).second) {
                throw HttpError{400, "Query parameter " + name + " is repeated"};
            }
        }
        start = end + 1;
    }
    return out;
}

}  // namespace concert
