// GET /api/v1/queue/status (any own token) -> 200 {concertId, queuePosition, estimatedWaitTime, pollAfterSeconds, status, opensAt} | 401 | 503
//
// Polling is a request: it keeps a waiting ticket's place. An EXPIRED but
// genuine token answers 200 with status EXPIRED.

#include "base/json.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/queue.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::TokenClaims claims = concert::token_claims(request, deps.config);
    concert::QueueView view = concert::queue_status(deps.redis, {claims.concert_id, claims.ticket, claims.user_id, claims.epoch});

    concert::JsonPtr out = concert::new_object();
    concert::add_place(out.get(), view);
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("queue_status", handle, concert::require_token_secret); }
