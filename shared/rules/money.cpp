#include "rules/money.hpp"

#include "base/error.hpp"
#include "base/json.hpp"
#include "base/uuid.hpp"

namespace concert {

std::int64_t parse_charge_request(std::string_view body) {
    JsonPtr obj = parse_object(body);
    return require_int(obj.get(), "amount", kMinCharge, kMaxCharge);
}

std::int64_t balance_after_charge(std::int64_t balance, std::int64_t amount) {
    if (amount > kMaxBalance - balance) {
        throw HttpError{400, "amount would take the balance over " + std::to_string(kMaxBalance)};
    }
    return balance + amount;
}

std::string parse_payment_request(std::string_view body) {
    JsonPtr obj = parse_object(body);
    std::string id = require_string(obj.get(), "reservationId", 0, 64);
    if (!is_canonical_uuid(id)) throw HttpError{400, "reservationId must be a UUID in lower-case canonical form"};
    return id;
}

void check_payable(const PaymentLookup& p, std::int64_t room) {
    if (!p.mine) throw HttpError{404, "Reservation not found"};
    if (p.concert_id != room) throw HttpError{403, "Queue token is for another concert"};
    if (p.status == "PAID") throw HttpError{409, "Reservation is already paid"};
    if (p.status == "CANCELLED") throw HttpError{409, "Reservation was cancelled"};
    if (p.status != "TEMPORARILY_RESERVED" || p.lapsed) throw HttpError{400, "Reservation has expired"};
    if (p.balance < p.price) throw HttpError{402, "Insufficient balance"};
}

}  // namespace concert
