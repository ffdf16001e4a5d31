#pragma once
// The two errors that end a request, with no dependencies of their own so
// that every layer can raise them. The runtime's dispatch is the one place
// that turns them into responses.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace concert {

// An error that ends a request with an HTTP status and a client-safe message.
// Thrown where the failure is found and caught once, in the runtime, which
// renders the contract's body. The message must never carry SQL text or
// internals: it is shown to the client as it is.
struct HttpError : std::runtime_error {
    HttpError(int status_code, std::string text,
              std::vector<std::pair<std::string, std::string>> extra_headers = {})
        : std::runtime_error(text), status(status_code), message(std::move(text)),
          headers(std::move(extra_headers)) {}

    int status;
    std::string message;
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. Allow
};

// A store (MariaDB or Redis) cannot serve the request now: unreachable, lost
// mid-request, starting up, or too contended to settle a write. Nothing was
// committed by the request, so the client may simply try again. The stores
// throw it; the runtime answers it with 503 and Retry-After. what() is
// client-safe ("Database unavailable", "Redis unavailable", ...).
struct Unavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace concert
