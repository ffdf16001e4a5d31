#pragma once
// The work of the two routes that move money, each one optimistic
// transaction inside idempotent_write() (store/idempotency.hpp): POST
// /users/{id}/charge (charge_balance) and POST /payments (pay_order). The
// handlers keep the credential and the body; what goes down is data (who,
// which key, what), what comes back is the answer (the rules' JSON, stored
// under the Idempotency-Key in the same transaction) and what was done.
// `build/bench/engine sql-charge` and `sql-payments` run these very
// functions with no HTTP in front, so a route and its engine's figure
// always measure the same statements.

#include <cstdint>
#include <string>
#include <vector>

#include "store/auth.hpp"
#include "store/db.hpp"
#include "store/idempotency.hpp"
#include "store/payment_claim.hpp"

namespace concert {

// Adds 'amount' to the balance of keyed.user_id with a ledger row, in one
// transaction: read the balance and its version, write the new balance only
// if the version is unchanged. A concurrent charge or payment of the user
// makes it read again (at most 64 attempts, with jitter), so every charge
// applies once. A charge whose key answered before gets that answer, even
// once the caller's token ended; a new one needs a live credential
// (require_live(caller), store/auth.hpp). Throws HttpError 404 "User not
// found", 400 from balance_after_charge() (over the ceiling), and
// Unavailable. The answer is charge_answer()'s (rules/money.hpp).
Written charge_balance(Db& db, const KeyedRequest& keyed, std::int64_t amount, const Account& caller);

// An order to pay: the payer's holds, and the admission (queue token) it is
// paid with.
struct Order {
    std::string user_id;
    std::int64_t concert_id = 0;              // the token's room
    std::string admission;                    // admission_key() of the token: one order each
    std::vector<std::string> reservation_ids;  // 1 or more, distinct
};

// What pay_order() answered, and what it paid when it paid (committed).
struct Payment {
    Written written;
    std::string payment_id;
    std::int64_t total = 0;  // debited
};

// Pays the order with the sum of its holds' prices, all or nothing, in one
// transaction: balance debited once, every seat SOLD, every reservation PAID
// (each guarded by the versions read just before), one payment row with its
// reservations, one ledger row; any change in between rolls the whole thing
// back and reads again (at most 16 attempts). With a 'ticket' (the route;
// the bench engine pays without one) the ticket is claimed first
// (TicketClaim::claim) and spent once the payment committed. Throws
// HttpError 401 for an unknown payer, the claim's 403 and 409,
// check_order()'s refusals (rules/money.hpp), 403 "Queue token is not
// active" when this admission paid another order already, 409 "Reservation
// is already paid", and Unavailable. The answer is payment_answer()'s.
Payment pay_order(Db& db, const KeyedRequest& keyed, const Order& order, TicketClaim* ticket);

}  // namespace concert
