#pragma once
// Balance and payment rules, free of I/O: the bodies, the decisions, what a
// retry with the same Idempotency-Key must match, and the answers.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace concert {

constexpr std::int64_t kMinCharge = 1;
constexpr std::int64_t kMaxCharge = 10000000;          // per charge
constexpr std::int64_t kMaxBalance = 1000000000000;    // a balance never exceeds this

// The charge body {"amount": N}: an integer 1..10,000,000. Throws HttpError
// 400 ("amount is required", "amount must be an integer", "amount must be
// between 1 and 10000000").
std::int64_t parse_charge_request(std::string_view body);

// The balance after adding 'amount'. Throws HttpError 400 if it would pass
// kMaxBalance; never overflows.
std::int64_t balance_after_charge(std::int64_t balance, std::int64_t amount);

// The payment body: {"reservationIds": ["<uuid>", ...]} (1 to 'max_holds'
// distinct ids) or {"reservationId": "<uuid>"} (an order of one). Throws
// HttpError 400 before anything is looked up: "reservationIds is required",
// "reservationIds must be a list of 1 to N reservation ids", "reservationIds
// must not repeat an id", "reservationId must be a UUID in lower-case
// canonical form", or for both fields at once.
std::vector<std::string> parse_payment_request(std::string_view body, std::int64_t max_holds);

// What one read found about a reservation to pay.
struct PaymentLookup {
    bool mine = false;            // the reservation exists and is the payer's
    std::int64_t concert_id = 0;  // the concert of the reservation's seat
    std::string status;           // TEMPORARILY_RESERVED, PAID, EXPIRED, CANCELLED
    bool lapsed = false;          // its hold ran out by the database clock
    std::int64_t price = 0;
};

// The order's total, or the contract's error for an order that cannot be
// paid with a token of 'room' from 'balance', in the contract's order over
// all its holds: 404 "Reservation not found" (any unknown or another
// user's), 403 "Queue token is for another concert", 409 "Reservation is
// already paid", 409 "Reservation was cancelled", 400 "Reservation has
// expired", then 402 "Insufficient balance" for the sum.
std::int64_t check_order(const std::vector<PaymentLookup>& holds, std::int64_t room, std::int64_t balance);

// What a retry with the same Idempotency-Key must match: the route and the
// request's meaning (parsed values, not raw bytes, so whitespace does not
// matter). SHA-256, 64 hex digits.
std::string request_fingerprint(std::string_view route, std::string_view canonical_request);

// A charge's fingerprint: its user and amount.
std::string charge_fingerprint(const std::string& user_id, std::int64_t amount);

// A payment's fingerprint: its reservation ids in any order (the same holds
// listed in another order are the same request).
std::string payment_fingerprint(std::vector<std::string> reservation_ids);

// The admission a queue token is, "<concert>:<ticket>:<epoch>": one order
// each (the payments_one_per_admission key). A ticket number that Redis lost
// and reissued comes with a later epoch (the room's numbering began again):
// another admission.
std::string admission_key(std::int64_t concert_id, std::int64_t ticket, std::int64_t epoch);

// The answers, as JSON text (stored under an Idempotency-Key as they are).
// Times are MySQL DATETIME text from the database clock.
std::string charge_answer(const std::string& user_id, std::int64_t amount, std::int64_t balance,
                          const std::string& charged_at);
// {paymentId, reservationId (the first), reservationIds, userId, amount,
// status: "COMPLETED", paidAt}.
std::string payment_answer(const std::string& payment_id, const std::vector<std::string>& reservation_ids,
                           const std::string& user_id, std::int64_t amount, const std::string& paid_at);

}  // namespace concert
