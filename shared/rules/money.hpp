#pragma once
// Balance and payment rules, free of I/O.

#include <cstdint>
#include <string>
#include <string_view>

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

// The payment body {"reservationId": "<uuid>"}. Throws HttpError 400.
std::string parse_payment_request(std::string_view body);

// What one read found about a reservation to pay and its payer.
struct PaymentLookup {
    bool mine = false;        // the reservation exists and is the payer's
    std::int64_t concert_id = 0;  // the concert of the reservation's seat
    std::string status;       // the reservation's status: TEMPORARILY_RESERVED, PAID, EXPIRED, CANCELLED
    bool lapsed = false;      // its hold ran out by the database clock
    std::int64_t price = 0;
    std::int64_t balance = 0;  // the payer's
};

// Throws the contract's error for a reservation that cannot be paid with a
// token of 'room', in the contract's order: 404 "Reservation not found"
// (unknown or another user's), 403 "Queue token is for another concert",
// 409 "Reservation is already paid", 409 "Reservation was cancelled", 400
// "Reservation has expired", 402
// "Insufficient balance". Returns if the payment may be attempted.
void check_payable(const PaymentLookup& payment, std::int64_t room);

}  // namespace concert
