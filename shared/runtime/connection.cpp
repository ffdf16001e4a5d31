#include "runtime/connection.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fcgiapp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/log.hpp"
#include "base/metrics.hpp"

namespace concert {

namespace {

// Exactly 'length' bytes of the request's body; HttpError 400 if the
// stream ends (or breaks) before.
std::string read_body(FCGX_Request& req, std::size_t length) {
    std::string body(length, '\0');
    std::size_t got = 0;
    while (got < length) {
        int n = FCGX_GetStr(&body[got], static_cast<int>(length - got), req.in);
        if (n <= 0) throw HttpError{400, "Request body is shorter than Content-Length"};
        got += static_cast<std::size_t>(n);
    }
    return body;
}

// Reads the body of the request libfcgi has read the parameters of, has
// dispatch() answer it, writes the answer into the output stream (sent
// when the stream is closed), counts it and logs it if it is a 5xx or slow.
void answer(FCGX_Request& req, Handler handler, Deps& deps, const char* name) {
    auto started = std::chrono::steady_clock::now();
    std::vector<std::string_view> params;
    for (char** p = req.envp; p != nullptr && *p != nullptr; ++p) params.emplace_back(*p);

    Request request = request_from_params(params, {});
    Response response;
    try {
        std::size_t length = parse_content_length(FCGX_GetParam("CONTENT_LENGTH", req.envp));
        request.body = read_body(req, length);
        require_json_body(request);
        response = dispatch(handler, request, deps);
    } catch (const HttpError& e) {
        response = error_response(e);
    }

    std::string out = render(response);
    FCGX_PutStr(out.data(), static_cast<int>(out.size()), req.out);

    // nginx logs every request (with the same request id); the pool adds a
    // line only where it has something to say: a 5xx, or a slow request.
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started).count();
    metrics::request_done(response.status, micros);
    if (response.status < 500 && micros < std::int64_t{deps.config.log_slower_than_ms} * 1000) return;
    log_line(std::string(name) + " " + request.method + " " + request.path + " " +
             std::to_string(response.status) + " " + std::to_string(micros) + "us rid=" +
             (request.request_id.empty() ? "-" : request.request_id));
}

// Sends the answer and closes the connection. libfcgi closes by shutting
// down its side and waiting until nginx closes too, so that nothing nginx
// still sends makes the close a reset. nginx sends nothing after the end
// of the request body: once that end has been read here, cleanly, the wait
// is a wasted round trip of the worker's time, and a plain close is safe.
// The answer goes out first (closing the output streams sends it), so
// nginx never waits on the probe. A body refused unread (413) or a stream
// error get libfcgi's own ending.
void finish(FCGX_Request& req) {
    FCGX_FClose(req.err);  // in FCGX_Finish_r's order: one write for all of it
    FCGX_FClose(req.out);
    char probe;
    if (FCGX_GetStr(&probe, 1, req.in) == 0 && FCGX_HasSeenEOF(req.in) && FCGX_GetError(req.in) == 0) {
        FCGX_Detach(&req);  // only skips the shutdown-and-wait at close
    }
    // One request per connection, even if nginx asked to keep it: libfcgi
    // closes a connection that is not kept.
    req.keepConnection = 0;
    FCGX_Finish_r(&req);
}

}  // namespace

// libfcgi only reads and writes here: the worker accepted the connection.
// listen_sock is -1, so libfcgi can never block in an accept() of its own
// when the first read fails; keepConnection is set before that read only so
// that FCGX_Accept_r does not close the connection it was handed. A read
// waits at most 2 s (libfcgi's own accept waits as long for a connection's
// first bytes): a connection that goes quiet halfway through a request is
// dropped, never a worker stuck on it. The request object lives on the
// stack: nothing of it is allocated per connection but libfcgi's streams.
void serve_connection(int fd, Handler handler, Deps& deps, const char* name) {
    timeval quiet{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
    FCGX_Request req;
    FCGX_InitRequest(&req, -1, 0);
    req.ipcFd = fd;
    req.keepConnection = 1;
    if (FCGX_Accept_r(&req) < 0) return;  // no request on it: libfcgi closed it
    answer(req, handler, deps, name);
    finish(req);
}

}  // namespace concert
