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

std::vector<std::string> parse_payment_request(std::string_view body, std::int64_t max_holds) {
    JsonPtr obj = parse_object(body);
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(obj.get(), "reservationIds");
    const cJSON* one = cJSON_GetObjectItemCaseSensitive(obj.get(), "reservationId");
    bool has_list = list != nullptr && !cJSON_IsNull(list);
    bool has_one = one != nullptr && !cJSON_IsNull(one);
    if (has_list && has_one) throw HttpError{400, "Give reservationIds or reservationId, not both"};
    if (has_one) {
        std::string id = require_string(obj.get(), "reservationId", 0, 64);
        if (!is_canonical_uuid(id)) throw HttpError{400, "reservationId must be a UUID in lower-case canonical form"};
        return {id};
    }
    if (!has_list) throw HttpError{400, "reservationIds is required"};
    std::string size_rule = "reservationIds must be a list of 1 to " + std::to_string(max_holds) + " reservation ids";
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (!cJSON_IsArray(list) || n < 1 || n > max_holds) throw HttpError{400, size_rule};
    std::vector<std::string> ids;
    for (const cJSON* item = list->child; item != nullptr; item = item->next) {
        if (!cJSON_IsString(item) || !is_canonical_uuid(item->valuestring)) {
            throw HttpError{400, "reservationIds must hold UUIDs in lower-case canonical form"};
        }
        for (const std::string& seen : ids) {
            if (seen == item->valuestring) throw HttpError{400, "reservationIds must not repeat an id"};
        }
        ids.emplace_back(item->valuestring);
    }
    return ids;
}

std::int64_t check_order(const std::vector<PaymentLookup>& holds, std::int64_t room, std::int64_t balance) {
    auto any = [&](auto&& pred) {
        for (const PaymentLookup& h : holds) {
            if (pred(h)) return true;
        }
        return false;
    };
    if (any([](const PaymentLookup& h) { return !h.mine; })) throw HttpError{404, "Reservation not found"};
    if (any([&](const PaymentLookup& h) { return h.concert_id != room; })) {
        throw HttpError{403, "Queue token is for another concert"};
    }
    if (any([](const PaymentLookup& h) { return h.status == "PAID"; })) {
        throw HttpError{409, "Reservation is already paid"};
    }
    if (any([](const PaymentLookup& h) { return h.status == "CANCELLED"; })) {
        throw HttpError{409, "Reservation was cancelled"};
    }
    if (any([](const PaymentLookup& h) { return h.status != "TEMPORARILY_RESERVED" || h.lapsed; })) {
        throw HttpError{400, "Reservation has expired"};
    }
    std::int64_t total = 0;
    for (const PaymentLookup& h : holds) total += h.price;  // at most max_per_user prices of at most kMaxPrice
    if (balance < total) throw HttpError{402, "Insufficient balance"};
    return total;
}

}  // namespace concert
