#include "money.hpp"

#include "http.hpp"
#include "json.hpp"
#include "uuid.hpp"

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

std::string user_id_from_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/v1/users/";
    if (path.substr(0, kPrefix.size()) == kPrefix) {
        std::string_view rest = path.substr(kPrefix.size());
        std::string_view id = rest.substr(0, rest.find('/'));
        if (is_canonical_uuid(id)) return std::string(id);
    }
    throw HttpError{400, "userId must be a UUID in lower-case canonical form"};
}

}  // namespace concert
