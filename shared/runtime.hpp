#pragma once
// The FastCGI runtime every handler binary runs on. A handler is one function
// from Request to Response; serve() does the rest:
//
//   - takes the listening socket from systemd (LISTEN_FDS), from
//     CONCERT_LISTEN (a unix socket path it creates), or as fd 0 (spawn-fcgi);
//   - forks CONCERT_WORKERS single-threaded workers that accept on it, and
//     replaces any worker that dies;
//   - on SIGTERM or SIGINT stops accepting, lets each worker finish the
//     request it is serving, and exits 0;
//   - reads exactly CONTENT_LENGTH bytes of body (over 16 KiB: 413), turns
//     every error into the contract's JSON body, and writes one access-log
//     line per request to stderr.

#include "config.hpp"
#include "db.hpp"
#include "http.hpp"
#include "redis.hpp"

namespace concert {

// What a handler may use. One of each per worker process, opened lazily.
struct Deps {
    const Config& config;
    Db& db;
    Redis& redis;
};

using Handler = Response (*)(const Request&, Deps&);

// Calls the handler and turns whatever it throws into a response: HttpError
// as it is, database errors by http_error_for(), anything else 500 (the
// detail goes to the log, never to the client).
Response dispatch(Handler handler, const Request& request, Deps& deps);

// Runs the pool until SIGTERM/SIGINT. 'name' labels the log lines. Returns
// the process exit status.
int serve(const char* name, Handler handler);

}  // namespace concert
