// GET /api/v1/concerts/{concertId}/room (no credential)
//     -> 200 {concertId, open, opensAt, paused, capacity, waiting, active, admittedLastMinute,
//             seedCommitment, seed, preQueueTickets} | 400 | 404 | 503
//
// A concert's waiting room, as anyone may see it: counts and the opening
// draw's published values, never a user or a ticket of anyone. One indexed
// read and one read-only Redis step, so anyone may poll it.

#include "base/json.hpp"
#include "rules/catalog.hpp"
#include "rules/queue.hpp"
#include "runtime/serve.hpp"
#include "store/catalog.hpp"
#include "store/queue.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    std::int64_t concert_id = concert::concert_id_from_path(request.path);
    if (!concert::concert_exists(deps.db, concert_id)) throw concert::HttpError{404, "Concert not found"};
    return concert::json_response(200, concert::room_facts_json(concert::queue_room(deps.redis, concert_id)));
}

}  // namespace

int main() { return concert::serve("concerts_room", handle); }
