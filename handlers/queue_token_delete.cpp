// DELETE /api/v1/queue/token (any own token) -> 204 | 401 | 503
//
// Leaves the token's room: the token is EXPIRED from now on and its place or
// slot goes to the room's next ticket at once; the user's places in other
// rooms stay. Leaving twice is not an error.

#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/queue.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::TokenClaims claims = concert::token_claims(request, deps.config);
    concert::queue_expire(deps.redis, {claims.concert_id, claims.ticket, claims.user_id, claims.epoch});
    return concert::json_response(204, "");
}

}  // namespace

int main() { return concert::serve("queue_token_delete", handle, concert::require_token_secret); }
