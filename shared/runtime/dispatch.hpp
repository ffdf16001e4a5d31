#pragma once
// What a handler is given, and the one place where whatever it throws becomes
// the contract's response.

#include "base/config.hpp"
#include "base/http.hpp"
#include "store/db.hpp"
#include "store/redis.hpp"

namespace concert {

// What a handler may use. One of each per worker process, opened lazily.
struct Deps {
    const Config& config;
    Db& db;
    Redis& redis;
};

using Handler = Response (*)(const Request&, Deps&);

// Calls the handler and turns whatever it throws into a response: HttpError
// as it is; Unavailable (a store is down or too contended) 503 with
// Retry-After; anything else 500, with the detail in the log and never in
// the body. Rolls back a transaction the handler left open.
Response dispatch(Handler handler, const Request& request, Deps& deps);

}  // namespace concert
