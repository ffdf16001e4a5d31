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

// The {userId} of /api/v1/users/{userId}/...; throws HttpError 400 unless it
// is a canonical UUID.
std::string user_id_from_path(std::string_view path);

}  // namespace concert
