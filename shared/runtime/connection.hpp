#pragma once
// One FastCGI connection a worker accepted: libfcgi reads its request and
// writes the answer. A connection carries one request and is then closed
// (nginx opens one per request; kept connections were measured and removed,
// docs/SCALING.md).

#include "runtime/dispatch.hpp"

namespace concert {

// Reads the request on fd, answers it through dispatch() and closes fd,
// whatever happens: a broken stream, or one that goes quiet for 2 s, is
// closed unanswered; a request that asks for the connection to be kept
// (fastcgi_keep_conn) is answered and its connection closed all the same.
// Logs a 5xx and a request slower than CONCERT_LOG_SLOWER_THAN_MS.
void serve_connection(int fd, Handler handler, Deps& deps, const char* name);

}  // namespace concert
