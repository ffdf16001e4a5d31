#pragma once
// The FastCGI runtime every handler binary runs on. A handler is one function
// from Request to Response (runtime/dispatch.hpp); serve() does the rest:
//
//   - takes the listening socket from systemd (LISTEN_FDS), from
//     CONCERT_LISTEN (a unix socket path it creates), or as fd 0 (spawn-fcgi);
//   - forks CONCERT_WORKERS single-threaded workers that accept on it, and
//     replaces any worker that dies (runtime/pool.hpp, runtime/worker.hpp);
//   - serves one request per FastCGI connection and closes it, even if
//     nginx asked to keep it (runtime/connection.hpp);
//   - on SIGTERM or SIGINT stops accepting, lets each worker finish the
//     request it is serving, and exits 0;
//   - reads exactly CONTENT_LENGTH bytes of body (over 16 KiB: 413; a body
//     that is not declared application/json: 415) and hands the request to
//     dispatch(), which turns every error into the
//     contract's JSON body;
//   - logs a line to stderr for every 5xx and every request slower than
//     CONCERT_LOG_SLOWER_THAN_MS (nginx's access log has every request).

#include "base/config.hpp"
#include "runtime/dispatch.hpp"

namespace concert {

// A handler's own demands on the configuration (e.g. require_token_secret):
// throws ConfigError, and the pool refuses to start with its message.
using ConfigCheck = void (*)(const Config&);

// Runs the pool until SIGTERM/SIGINT. 'name' labels the log lines. Returns
// the process exit status: 2 for a configuration that 'check' (or the
// runtime itself) refuses.
int serve(const char* name, Handler handler, ConfigCheck check = nullptr);

}  // namespace concert
