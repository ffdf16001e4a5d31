#pragma once
// The database work of the two routes that move money, each one optimistic
// transaction inside idempotent_write() (store/idempotency.hpp): POST
// /users/{id}/charge (charge_balance) and POST /payments (pay_order). The
// handlers keep the credential, the body, the Redis claim and the JSON;
// `build/bench/engine sql-charge` and `sql-payments` run these very
// functions with no HTTP in front, so a route and its engine's figure
// always measure the same statements.
//
// The response is rendered by the caller's 'render' inside the open
// transaction, because with an Idempotency-Key it is stored in that same
// transaction before COMMIT.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/http.hpp"
#include "store/db.hpp"
#include "store/idempotency.hpp"

namespace concert {

// What idempotent_write() runs before the first attempt: the route's gate
// (throws its refusal), or an answer that stands in for the effect.
using AdmitFn = std::function<std::optional<Response>()>;

// A charge as committed.
struct Charged {
    std::int64_t balance = 0;  // after the charge
    std::string charged_at;    // "YYYY-MM-DD hh:mm:ss.ffffff", database clock
};

// Adds 'amount' to the balance of 'user_id' with a ledger row, in one
// transaction: read the balance and its version, write the new balance only
// if the version is unchanged. A concurrent charge or payment of the user
// makes it read again (at most 64 attempts, with jitter), so every charge
// applies once. Throws HttpError 404 "User not found", 400 from
// balance_after_charge() (over the ceiling), and Unavailable.
Written charge_balance(Db& db, const KeyedRequest& keyed, const std::string& user_id, std::int64_t amount,
                       const AdmitFn& admit, const std::function<Response(const Charged&)>& render);

// An order to pay: the payer's holds, and the admission (queue token) it is
// paid with.
struct Order {
    std::string user_id;
    std::int64_t concert_id = 0;              // the token's room
    std::string admission;                    // "<concert>:<ticket>:<issued at>", one order each
    std::vector<std::string> reservation_ids;  // 1 or more, distinct
};

// A payment as committed (or about to be, when 'render' sees it).
struct Paid {
    std::string payment_id;
    std::int64_t total = 0;    // debited
    std::int64_t balance = 0;  // after the debit
    std::string paid_at;       // "YYYY-MM-DD hh:mm:ss.ffffff", database clock
};

// Pays the order with the sum of its holds' prices, all or nothing, in one
// transaction: balance debited once, every seat SOLD, every reservation PAID
// (one UPDATE whose every row is guarded by the version read just before),
// one payment row with its reservations, one ledger row; any change in
// between rolls the whole thing back and reads again (at most 16 attempts).
// Throws HttpError 401 for an unknown payer, check_order()'s refusals
// (rules/money.hpp), 403 "Queue token is not active" when this admission
// paid another order already, 409 "Reservation is already paid", and
// Unavailable.
Written pay_order(Db& db, const KeyedRequest& keyed, const Order& order, const AdmitFn& admit,
                  const std::function<Response(const Paid&)>& render);

}  // namespace concert
