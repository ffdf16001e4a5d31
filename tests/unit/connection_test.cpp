#include "runtime/connection.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <fcgiapp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "unopened_deps.hpp"

#include <CppUTest/TestHarness.h>

namespace {

// FastCGI record types (the FastCGI specification, section 8).
constexpr unsigned char kBeginRequest = 1;
constexpr unsigned char kParams = 4;
constexpr unsigned char kStdin = 5;
constexpr unsigned char kStdout = 6;
constexpr unsigned char kKeepConn = 1;  // FCGI_KEEP_CONN, what fastcgi_keep_conn sets

std::string record(unsigned char type, const std::string& content) {
    std::string r{1, static_cast<char>(type), 0, 1, static_cast<char>(content.size() >> 8),
                  static_cast<char>(content.size() & 0xff), 0, 0};
    return r + content;
}

// A request as nginx writes it: begin (with its flags), the parameters
// (names and values under 128 bytes), the body in one record, and the end
// of the body (an empty record) only when 'whole'.
std::string request(unsigned char flags, const std::vector<std::pair<std::string, std::string>>& params,
                    const std::string& body, bool whole = true) {
    std::string pairs;
    for (const auto& [name, value] : params) {
        pairs += static_cast<char>(name.size());
        pairs += static_cast<char>(value.size());
        pairs += name + value;
    }
    std::string out = record(kBeginRequest, std::string{0, 1, static_cast<char>(flags), 0, 0, 0, 0, 0});
    out += record(kParams, pairs) + record(kParams, "");
    if (!body.empty()) out += record(kStdin, body);
    return whole ? out + record(kStdin, "") : out;
}

concert::Response echoes_body(const concert::Request& r, concert::Deps&) { return concert::json_response(201, r.body); }

}  // namespace

// The test holds nginx's end of a socket pair and hands the other end to
// serve_connection, as a worker hands it a connection it accepted.
TEST_GROUP(Connection) {
    unit::UnopenedDeps stores;
    int nginx = -1;
    int runtime = -1;
    bool closed = false;  // the runtime closed its end: read_answer saw the end of the stream

    void setup() override {
        FCGX_Init();
        int ends[2];
        CHECK_EQUAL(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends));
        nginx = ends[0];
        runtime = ends[1];
        timeval wait{5, 0};
        setsockopt(nginx, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    }
    void teardown() override { close(nginx); }

    // Writes 'bytes' as nginx and serves them; 'then_close': nginx closes
    // its sending side after them.
    void serve(const std::string& bytes, bool then_close = false) {
        CHECK_EQUAL(static_cast<ssize_t>(bytes.size()), write(nginx, bytes.data(), bytes.size()));
        if (then_close) shutdown(nginx, SHUT_WR);
        concert::serve_connection(runtime, echoes_body, stores.deps, "test");
    }
    // The content of the answer's stdout records, read until the runtime
    // closes its end (or 5 s pass: 'closed' stays false).
    std::string read_answer() {
        std::string got;
        char buf[4096];
        ssize_t n;
        while ((n = read(nginx, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
        closed = n == 0;
        std::string out;
        for (std::size_t at = 0; at + 8 <= got.size();) {
            std::size_t length = (static_cast<unsigned char>(got[at + 4]) << 8) | static_cast<unsigned char>(got[at + 5]);
            std::size_t padding = static_cast<unsigned char>(got[at + 6]);
            if (got[at + 1] == static_cast<char>(kStdout)) out += got.substr(at + 8, length);
            at += 8 + length + padding;
        }
        return out;
    }
};

const std::vector<std::pair<std::string, std::string>> kPost = {
    {"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/x"}, {"CONTENT_TYPE", "application/json"}, {"CONTENT_LENGTH", "7"}};

TEST(Connection, ARequestIsAnsweredAndItsConnectionClosed) {
    serve(request(0, kPost, "{\"a\":1}"));
    STRCMP_CONTAINS("Status: 201", read_answer().c_str());
    CHECK_TRUE(closed);
}

TEST(Connection, AConnectionNginxAskedToKeepIsClosedAfterItsRequest) {
    serve(request(kKeepConn, kPost, "{\"a\":1}"));
    STRCMP_CONTAINS("{\"a\":1}", read_answer().c_str());
    CHECK_TRUE(closed);
}

// libfcgi's own close waits up to 2 s for nginx to close first.
TEST(Connection, ARequestReadToItsEndIsClosedWithoutWaitingForNginx) {
    auto started = std::chrono::steady_clock::now();
    serve(request(kKeepConn, kPost, "{\"a\":1}"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}

TEST(Connection, ABodyOverTheCapIsRefusedUnreadAndTheConnectionClosed) {
    auto params = kPost;
    params.back().second = "20000";
    serve(request(0, params, "{", false), true);
    STRCMP_CONTAINS("Status: 413", read_answer().c_str());
    CHECK_TRUE(closed);
}
