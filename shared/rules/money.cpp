#include "rules/money.hpp"

#include <algorithm>

#include "base/crypto.hpp"
#include "base/error.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"

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

std::string request_fingerprint(std::string_view route, std::string_view canonical_request) {
    return hex_encode(sha256(std::string(route) + "\n" + std::string(canonical_request)));
}

std::string charge_fingerprint(const std::string& user_id, std::int64_t amount) {
    return request_fingerprint("charge", user_id + " " + std::to_string(amount));
}

std::string payment_fingerprint(std::vector<std::string> reservation_ids) {
    std::sort(reservation_ids.begin(), reservation_ids.end());
    std::string canonical;
    for (const std::string& id : reservation_ids) canonical += (canonical.empty() ? "" : ",") + id;
    return request_fingerprint("payment", canonical);
}

std::string admission_key(std::int64_t concert_id, std::int64_t ticket, std::int64_t epoch) {
    return std::to_string(concert_id) + ":" + std::to_string(ticket) + ":" + std::to_string(epoch);
}

std::string charge_answer(const std::string& user_id, std::int64_t amount, std::int64_t balance,
                          const std::string& charged_at) {
    JsonPtr out = new_object();
    add_string(out.get(), "userId", user_id);
    add_int(out.get(), "chargedAmount", amount);
    add_int(out.get(), "balance", balance);
    add_string(out.get(), "chargedAt", iso_instant(charged_at));
    return to_text(out.get());
}

std::string payment_answer(const std::string& payment_id, const std::vector<std::string>& reservation_ids,
                           const std::string& user_id, std::int64_t amount, const std::string& paid_at) {
    JsonPtr out = new_object();
    add_string(out.get(), "paymentId", payment_id);
    add_string(out.get(), "reservationId", reservation_ids.front());
    cJSON* ids = cJSON_AddArrayToObject(out.get(), "reservationIds");
    for (const std::string& id : reservation_ids) cJSON_AddItemToArray(ids, cJSON_CreateString(id.c_str()));
    add_string(out.get(), "userId", user_id);
    add_int(out.get(), "amount", amount);
    add_string(out.get(), "status", "COMPLETED");
    add_string(out.get(), "paidAt", iso_instant(paid_at));
    return to_text(out.get());
}

}  // namespace concert
