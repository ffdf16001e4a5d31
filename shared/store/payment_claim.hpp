#pragma once
// One order per admission, on Redis's side: before a payment touches the
// database it claims its queue ticket in one Redis step (ACTIVE -> paying).
// Another payment with the same token meanwhile is 409 "Payment already in
// progress"; one with the same Idempotency-Key waits for the first's answer.
// Success ends the ticket, claim and all; anything else gives it back; a
// claim lapses after a minute if its worker died. The database holds the
// same rule on its own (a unique admission per payment), so a claim Redis
// lost never lets a second order in.

#include <optional>
#include <string>

#include "store/db.hpp"
#include "store/idempotency.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"

namespace concert {

class TicketClaim {
public:
    TicketClaim(Redis& redis, Ticket ticket) : redis_(redis), ticket_(std::move(ticket)) {}
    TicketClaim(const TicketClaim&) = delete;
    TicketClaim& operator=(const TicketClaim&) = delete;
    // Gives the ticket back unless it was spent: ACTIVE again for the next
    // try. If Redis fails here the claim lapses by itself (logged).
    ~TicketClaim();

    // Claims the ticket for this request's payment, or throws HttpError 403
    // "Queue token is not active" or 409 "Payment already in progress". A
    // payment in flight with this request's own Idempotency-Key is waited
    // for (up to 10 s): its stored answer is returned instead of a claim.
    std::optional<Answer> claim(Db& db, const KeyedRequest& keyed);

    // The payment 'payment_id' committed: the ticket ends (its token is
    // EXPIRED from now on). If Redis fails now the payment stands and the
    // token stays ACTIVE until its active time runs out, but its admission
    // is spent: the database refuses a second order with it (logged).
    void spend(const std::string& payment_id);

private:
    Redis& redis_;
    Ticket ticket_;
    std::string id_;  // the claim held, if any
};

}  // namespace concert
