// Every error nginx answers itself, under /api/ and /healthz, is the
// contract's JSON: Content-Type application/json, a body of exactly
// {statusCode, message, error} whose statusCode is the status line's code
// and whose error is that status's reason phrase. Each status nginx can be
// made to send here is provoked with a real request (a raw socket where curl
// would not send the request as it is); the ones it cannot be made to send
// without changing the stack (429: token issue is not rate limited locally;
// 500; 503: no limit uses its default status; 504: 30 s of
// fastcgi_read_timeout) are checked in nginx/api.conf itself.

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/http.hpp"
#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

// What the client got: the status line's code, headers (lower-case names)
// and body.
struct Answer {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
};

Answer from(const itest::Reply& reply) { return Answer{static_cast<int>(reply.status), reply.headers, reply.body}; }

// Sends raw bytes on a new connection and reads until nginx closes it
// (every request here says "Connection: close", and nginx closes after
// these errors anyway).
Answer raw(const std::string& request) {
    Answer answer;
    std::string out = itest::raw(request);

    std::size_t end = out.find("\r\n\r\n");
    if (out.compare(0, 5, "HTTP/") != 0 || end == std::string::npos) {
        answer.body = out;
        return answer;
    }
    std::size_t space = out.find(' ');
    answer.status = std::atoi(out.c_str() + space + 1);
    std::istringstream head(out.substr(0, end));
    std::string line;
    std::getline(head, line);  // the status line
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        answer.headers[name] = value;
    }
    answer.body = out.substr(end + 4);
    return answer;
}

// "" if 'body' is exactly {statusCode: status, message: non-empty, error:
// the reason phrase of status}; else what differs.
std::string body_problem(const std::string& body, int status) {
    concert::JsonPtr obj(cJSON_ParseWithLengthOpts(body.c_str(), body.size() + 1, nullptr, 1));
    if (!obj || !cJSON_IsObject(obj.get())) return "body is not a JSON object: " + body;
    if (cJSON_GetArraySize(obj.get()) != 3) return "body has other fields than the error's: " + body;
    const cJSON* code = cJSON_GetObjectItemCaseSensitive(obj.get(), "statusCode");
    if (!cJSON_IsNumber(code) || code->valuedouble != status) return "statusCode is not " + std::to_string(status) + ": " + body;
    std::string reason = concert::reason_phrase(status);
    if (itest::text_field(obj.get(), "error") != reason) return "error is not \"" + reason + "\": " + body;
    if (itest::text_field(obj.get(), "message").empty()) return "message is empty: " + body;
    return "";
}

// "" if the answer is the contract's error with this status on the status
// line and in the body, JSON content type, and the usual X-Request-Id.
std::string problem(const Answer& answer, int status) {
    if (answer.status != status) {
        return "status line " + std::to_string(answer.status) + ", not " + std::to_string(status) + "; body " +
               answer.body.substr(0, 300);
    }
    auto type = answer.headers.find("content-type");
    if (type == answer.headers.end() || type->second.rfind("application/json", 0) != 0) {
        return "content-type is " + (type == answer.headers.end() ? std::string("missing") : type->second) +
               "; body " + answer.body.substr(0, 300);
    }
    auto id = answer.headers.find("x-request-id");
    if (id == answer.headers.end() || id->second.size() != 32) return "no X-Request-Id";
    return body_problem(answer.body, status);
}

// The checkout under test: <root>/scripts/stack.sh, or "." for the default
// relative "scripts/stack.sh".
std::string repo_root() {
    std::string script = itest::stack_script();
    std::size_t name = script.rfind('/');
    std::size_t dir = name == std::string::npos || name == 0 ? std::string::npos : script.rfind('/', name - 1);
    return dir == std::string::npos ? "." : script.substr(0, dir);
}

// The handler a test takes away (its socket renamed), put back by teardown.
const char* const kTakenHandler = "queue_token_delete";

std::string socket_of(const char* handler) { return itest::state_dir() + "/run/" + handler + ".sock"; }

}  // namespace

TEST_GROUP(NginxErrors) {
    bool socket_taken = false;
    void teardown() override {
        if (socket_taken) {
            std::rename((socket_of(kTakenHandler) + ".away").c_str(), socket_of(kTakenHandler).c_str());
            socket_taken = false;
            LONGS_EQUAL(401, itest::request("DELETE", "/api/v1/queue/token").status);  // back in service
        }
    }
};

TEST(NginxErrors, MalformedRequestLineIs400Json) {
    STRCMP_EQUAL("", problem(raw("GARBAGE\r\n\r\n"), 400).c_str());
}

TEST(NginxErrors, UnknownHttpVersionIs400Json) {
    // nginx's 505 is the client's error here (error_page 505 =400).
    STRCMP_EQUAL("", problem(raw("GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n"), 400).c_str());
}

TEST(NginxErrors, MissingHostIs400Json) {
    STRCMP_EQUAL("", problem(raw("GET /api/v1/concerts HTTP/1.1\r\nConnection: close\r\n\r\n"), 400).c_str());
}

TEST(NginxErrors, UnknownPathIs404Json) {
    STRCMP_EQUAL("", problem(from(itest::request("GET", "/api/v1/nothing-here")), 404).c_str());
    STRCMP_EQUAL("", problem(from(itest::request("GET", "/healthz/x")), 404).c_str());
}

TEST(NginxErrors, WrongMethodIs405Json) {
    STRCMP_EQUAL("", problem(from(itest::request("PUT", "/api/v1/payments", "{}")), 405).c_str());
    STRCMP_EQUAL("", problem(from(itest::request("POST", "/healthz", "{}")), 405).c_str());
}

TEST(NginxErrors, TraceIs405Json) {
    // nginx refuses TRACE itself, before any location.
    STRCMP_EQUAL("", problem(raw("TRACE /api/v1/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 405).c_str());
}

TEST(NginxErrors, BodyOver16KiBIs413Json) {
    std::string body(16 * 1024 + 1, 'x');
    STRCMP_EQUAL("", problem(from(itest::request("POST", "/api/v1/payments", body,
                                                 {"Content-Type: application/json"})), 413).c_str());
}

TEST(NginxErrors, ChunkedBodyOver16KiBIs413Json) {
    std::string chunk(20000, 'x');
    STRCMP_EQUAL("", problem(raw("POST /api/v1/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                 "Content-Type: application/json\r\nConnection: close\r\n\r\n4e20\r\n" +
                                 chunk + "\r\n0\r\n\r\n"), 413).c_str());
}

TEST(NginxErrors, LongRequestLineIs414Json) {
    std::string query(9000, 'a');
    STRCMP_EQUAL("", problem(raw("GET /api/v1/concerts?" + query + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                             414).c_str());
    STRCMP_EQUAL("", problem(from(itest::request("GET", "/api/v1/concerts?" + query)), 414).c_str());
}

TEST(NginxErrors, HugeHeaderIs431Json) {
    // nginx's own 494 (which it would send as 400) goes out as 431.
    std::string big(20000, 'a');
    STRCMP_EQUAL("", problem(raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\nConnection: close\r\n\r\n"),
                             431).c_str());
    STRCMP_EQUAL("", problem(from(itest::request("GET", "/api/v1/concerts", "", {"X-Big: " + big})), 431).c_str());
}

TEST(NginxErrors, TooManyHeaderBytesAre431Json) {
    std::string headers;
    for (int i = 0; i < 40; ++i) headers += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
    STRCMP_EQUAL("", problem(raw("GET /api/v1/concerts HTTP/1.1\r\nHost: x\r\n" + headers + "Connection: close\r\n\r\n"),
                             431).c_str());
}

TEST(NginxErrors, UnknownTransferEncodingIs501Json) {
    STRCMP_EQUAL("", problem(raw("POST /api/v1/payments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                                 "Content-Type: application/json\r\nConnection: close\r\n\r\n"), 501).c_str());
}

TEST(NginxErrors, HandlerWithoutSocketIs502Json) {
    CHECK_EQUAL(0, std::rename(socket_of(kTakenHandler).c_str(), (socket_of(kTakenHandler) + ".away").c_str()));
    socket_taken = true;
    STRCMP_EQUAL("", problem(from(itest::request("DELETE", "/api/v1/queue/token")), 502).c_str());
}

// The ones a request cannot provoke on this stack, and every other error
// page too: each error_page sends the client the status its location
// returns, and that location's body says the same status.
TEST(NginxErrors, EveryErrorPageInTheConfigSaysTheStatusItSends) {
    std::ifstream in(repo_root() + "/nginx/api.conf");
    CHECK_TEXT(in.good(), "nginx/api.conf not found");
    const std::regex location_re(R"(^\s*location\s*=\s*(\S+)\s*\{(.*)\}\s*$)");
    const std::regex return_re(R"(\breturn\s+(\d+)\s+'([^']*)';)");
    std::map<std::string, std::pair<int, std::string>> locations;  // uri -> (status, body)
    std::map<std::string, bool> json_type;
    std::vector<std::pair<int, std::string>> pages;  // (status the client sees, uri)
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_match(line, m, location_re)) {
            std::string block = m[2].str();
            std::smatch r;
            if (std::regex_search(block, r, return_re)) {
                std::string body = r[2].str();
                if (body.size() >= 2 && body.compare(body.size() - 2, 2, "\\n") == 0) body.resize(body.size() - 2);
                locations[m[1].str()] = {std::stoi(r[1].str()), body};
                json_type[m[1].str()] = block.find("default_type application/json;") != std::string::npos;
            }
            continue;
        }
        std::string code_line = line.substr(0, line.find('#'));
        std::istringstream words(code_line);
        std::string word;
        if (!(words >> word) || word != "error_page") continue;
        std::vector<int> codes;
        int overwrite = -1;
        std::string uri;
        while (words >> word) {
            if (!word.empty() && word.back() == ';') word.pop_back();
            if (word.empty()) continue;
            if (word[0] == '=') {
                overwrite = std::stoi(word.substr(1));
            } else if (word[0] == '/') {
                uri = word;
            } else {
                codes.push_back(std::stoi(word));
            }
        }
        for (int code : codes) {
            // Without "=code" nginx keeps the original status, except that it
            // sends 494-497 (its own codes) as 400.
            int sent = overwrite >= 0 ? overwrite : (code >= 494 && code <= 497 ? 400 : code);
            pages.emplace_back(sent, uri);
        }
    }
    std::set<int> covered;
    for (const auto& [sent, uri] : pages) {
        std::string what = "error_page to " + uri + " (sends " + std::to_string(sent) + ")";
        auto loc = locations.find(uri);
        CHECK_TEXT(loc != locations.end(), (what + ": no location returning a body").c_str());
        CHECK_TEXT(json_type[uri], (what + ": not application/json").c_str());
        CHECK_TEXT(loc->second.first == sent,
                   (what + ": its location returns " + std::to_string(loc->second.first)).c_str());
        STRCMP_EQUAL_TEXT("", body_problem(loc->second.second, sent).c_str(), what.c_str());
        covered.insert(sent);
    }
    for (int status : {400, 404, 405, 413, 414, 429, 431, 500, 501, 502, 503, 504}) {
        CHECK_TEXT(covered.count(status) == 1, ("no error page sends " + std::to_string(status)).c_str());
    }
}
