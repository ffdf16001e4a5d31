// POST /api/v1/payments {reservationIds: [...]} or {reservationId} (ACTIVE, the holds' room)
//     [Idempotency-Key]
//     -> 200 {paymentId, reservationId, reservationIds, userId, amount, status: "COMPLETED", paidAt}
//      | 400 | 401 | 402 | 403 | 404 | 409 | 415 | 503
//
// One order per admission: before anything else the payment claims its
// ticket in one Redis step (ACTIVE -> paying). Another payment with the same
// token meanwhile is 409 "Payment already in progress" (one with the same
// Idempotency-Key waits for the first's answer); success ends the ticket,
// anything else gives it back, and a claim lapses after a minute if its
// worker died. The database holds the same rule on its own (a unique
// admission per payment), so a claim Redis lost never lets a second order in.
//
// Pays an order of the caller's own unexpired holds (1 to hold.max_per_user)
// with the sum of their prices, all or nothing, in one transaction: balance
// debited once, every seat SOLD, every reservation PAID (one UPDATE whose
// every row is guarded by the version read just before), one payment row
// with its reservations, one ledger row; any change in between rolls the
// whole thing back. Then the queue token is
// EXPIRED; if Redis fails at that moment the payment still stands (the token
// lapses by its active time). The Idempotency-Key steps are
// idempotent_write()'s (store/idempotency.hpp); the order of the refusals
// is check_order()'s (rules/money.hpp).

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "base/metrics.hpp"
#include "base/text.hpp"
#include "base/log.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "rules/money.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/idempotency.hpp"
#include "store/queue.hpp"
#include "store/settings.hpp"

namespace {

constexpr int kAttempts = 16;
// A claim outlives any payment (16 attempts, each bounded by the database's
// timeouts) yet lets a ticket whose worker died pay again within a minute.
constexpr std::int64_t kClaimMs = 60000;
// How long a retry with the same key waits for the payment in flight.
constexpr int kSameKeyWaitSeconds = 10;

// "?, ?, ..." for n parameters.
std::string placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
    return out;
}

// The payer (balance, version, the database's now for paidAt) and the
// order's reservations with their seats and concerts, in one read: a row
// for each reservation found, or one with no reservation if none is. The
// text depends only on how many ids: the prepared statement is reused.
std::string read_query(std::size_t n) {
    return "SELECT u.balance, u.version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f'), "
           "r.id, r.user_id = u.id, r.status, r.version, r.expires_at <= NOW(3), r.price, s.version, d.concert_id "
           "FROM users u LEFT JOIN reservations r ON r.id IN (" + placeholders(n) + ") "
           "LEFT JOIN seats s ON s.id = r.seat_id LEFT JOIN concert_dates d ON d.id = s.concert_date_id "
           "WHERE u.id = ?";
}

// One statement debits the payer once, sells every seat and marks every
// hold PAID, or does none of it: each row is found by key and guarded by the
// version read before (and each seat and hold by still being live), so it
// changes 1 + 2n rows or none.
std::string pay_query(std::size_t n) {
    std::string guards;
    for (std::size_t i = 0; i < n; ++i) guards += std::string(i == 0 ? "" : " OR ") + "(r.id = ? AND r.version = ? AND s.version = ?)";
    return "UPDATE users u JOIN reservations r ON r.id IN (" + placeholders(n) + ") JOIN seats s ON s.id = r.seat_id "
           "SET u.balance = ?, u.version = u.version + 1, "
           "s.status = 'SOLD', s.hold_expires_at = NULL, s.version = s.version + 1, "
           "r.status = 'PAID', r.version = r.version + 1 "
           "WHERE u.id = ? AND u.version = ? AND s.holder_id = u.id AND " + std::string(concert::kHoldIsLive) +
           " AND " + concert::kReservationIsLive + " AND (" + guards + ")";
}

std::string link_query(std::size_t n) {
    std::string rows;
    for (std::size_t i = 0; i < n; ++i) rows += i == 0 ? "(?, ?)" : ", (?, ?)";
    return "INSERT INTO payment_reservations (payment_id, reservation_id) VALUES " + rows;
}

constexpr const char* kInsertPayment =
    "INSERT INTO payments (id, reservation_id, user_id, admission, amount, paid_at) VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kLedger =
    "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, payment_id, created_at) "
    "VALUES (?, 'PAYMENT', ?, ?, ?, ?)";

// One hold as read: what check_order() decides on, and the versions the
// guarded UPDATE needs.
struct Hold {
    concert::PaymentLookup lookup;
    std::int64_t version = 0;
    std::int64_t seat_version = 0;
};

// The read's answer, in the order's order.
struct State {
    std::vector<Hold> holds;
    std::int64_t balance = 0;
    std::int64_t user_version = 0;
    std::string now;  // the database's clock at the read: paidAt
};

State read_state(concert::Db& db, const std::vector<std::string>& ids, const std::string& user_id) {
    State s;
    s.holds.resize(ids.size());  // an id the read does not find stays "not mine"
    bool payer_found = false;
    db.run(read_query(ids.size()), [&](sql::PreparedStatement& st) {
        unsigned k = 1;
        for (const std::string& id : ids) st.setString(k++, id);
        st.setString(k, user_id);
        concert::ResultPtr rs(st.executeQuery());
        while (rs->next()) {
            payer_found = true;
            s.balance = rs->getInt64(1);
            s.user_version = static_cast<std::int64_t>(rs->getUInt64(2));
            s.now = rs->getString(3);
            if (rs->isNull(4)) continue;
            std::string id = rs->getString(4);
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (ids[i] != id) continue;
                Hold& h = s.holds[i];
                h.lookup.mine = rs->getBoolean(5);
                h.lookup.status = rs->getString(6);
                h.version = static_cast<std::int64_t>(rs->getUInt64(7));
                h.lookup.lapsed = rs->getBoolean(8);
                h.lookup.price = rs->getInt64(9);
                h.seat_version = static_cast<std::int64_t>(rs->getUInt64(10));
                h.lookup.concert_id = static_cast<std::int64_t>(rs->getUInt64(11));
            }
        }
        return 0;
    });
    if (!payer_found) throw concert::HttpError{401, "Invalid token"};
    return s;
}

// The ticket's claim for this request's payment (one order per admission).
// Until paid (the ticket then ends, claim and all), leaving this scope
// gives the ticket back: the token is ACTIVE again for the next try.
class TicketClaim {
public:
    TicketClaim(concert::Redis& redis, concert::Ticket ticket) : redis_(redis), ticket_(std::move(ticket)) {}
    TicketClaim(const TicketClaim&) = delete;
    TicketClaim& operator=(const TicketClaim&) = delete;
    ~TicketClaim() {
        if (id_.empty()) return;
        try {
            concert::queue_release_payment(redis_, ticket_, id_);
        } catch (const std::exception& e) {  // the claim lapses by itself
            concert::log_line("payment claim on ticket " + std::to_string(ticket_.number) + " of room " +
                              std::to_string(ticket_.concert_id) + " not released (" + e.what() +
                              "); it lapses in " + std::to_string(kClaimMs / 1000) + " s");
        }
    }

    // Claims the ticket, or throws 403 (not ACTIVE) or 409 (another payment
    // is in flight). A payment in flight with this request's own key is
    // waited for: its answer, once stored, is returned instead.
    std::optional<concert::Response> claim(concert::Db& db, const concert::KeyedRequest& keyed) {
        std::string id = concert::new_uuid();
        std::string tag = keyed.key ? concert::hex_encode(concert::sha256(*keyed.key)).substr(0, 16) : "-";
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(kSameKeyWaitSeconds);
        for (;;) {
            concert::PaymentClaim c = concert::queue_claim_payment(redis_, ticket_, id, kClaimMs, tag);
            if (c.outcome == concert::ClaimOutcome::Claimed) {
                id_ = id;
                return std::nullopt;
            }
            if (c.outcome == concert::ClaimOutcome::NotActive) {
                // The ticket may have ended by the very payment this one
                // retries: it committed (its answer stored) before it ended.
                if (keyed.key) {
                    if (std::optional<concert::Response> first = concert::replay(db, keyed)) return first;
                }
                throw concert::HttpError{403, "Queue token is not active"};
            }
            if (tag == "-" || c.in_flight_tag != tag || std::chrono::steady_clock::now() > give_up) {
                throw concert::HttpError{409, "Payment already in progress"};
            }
            if (std::optional<concert::Response> first = concert::replay(db, keyed)) return first;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    void paid() { id_.clear(); }  // the ticket ends with its claim

private:
    concert::Redis& redis_;
    concert::Ticket ticket_;
    std::string id_;  // the claim held, if any
};

// "a,b,c": the order's ids in a canonical order, for its fingerprint (the
// same holds in another order are the same request).
std::string canonical_ids(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
    return out;
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    // The ticket's status is the claim's to check, in the same Redis step.
    concert::TokenClaims auth = concert::token_claims(request, deps.config);
    std::int64_t max_holds = concert::cached_settings(deps.redis).at("hold.max_per_user");
    std::vector<std::string> ids = concert::parse_payment_request(request.body, max_holds);
    concert::KeyedRequest keyed{auth.user_id, concert::idempotency_key(request),
                                concert::request_fingerprint("payment", canonical_ids(ids))};

    // The admission this token is: one order each, also in the database.
    const std::string admission =
        std::to_string(auth.concert_id) + ":" + std::to_string(auth.ticket) + ":" + std::to_string(auth.issued_at);
    std::string payment_id;  // of the attempt that paid, for the log
    TicketClaim ticket(deps.redis, {auth.concert_id, auth.ticket, auth.user_id});
    auto admit = [&] { return ticket.claim(deps.db, keyed); };
    std::int64_t paid_total = 0;  // what the committed attempt debited
    auto pay = [&](int) -> std::optional<concert::Response> {
        State s = read_state(deps.db, ids, auth.user_id);
        std::vector<concert::PaymentLookup> lookups;
        for (const Hold& h : s.holds) lookups.push_back(h.lookup);
        std::int64_t total = concert::check_order(lookups, auth.concert_id, s.balance);
        std::int64_t new_balance = s.balance - total;
        payment_id = concert::new_uuid();

        deps.db.begin();
        if (deps.db.execute(pay_query(ids.size()), [&](sql::PreparedStatement& st) {
                unsigned k = 1;
                for (const std::string& id : ids) st.setString(k++, id);
                st.setInt64(k++, new_balance);
                st.setString(k++, auth.user_id);
                st.setInt64(k++, s.user_version);
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    st.setString(k++, ids[i]);
                    st.setInt64(k++, s.holds[i].version);
                    st.setInt64(k++, s.holds[i].seat_version);
                }
            }) != static_cast<int>(1 + 2 * ids.size())) {
            // A charge or another request of the user, a concurrent payment
            // or cancel, or a hold lapsed since the read: the next read says
            // which, and answers with that error (or pays, if only the
            // balance moved).
            deps.db.rollback();
            return std::nullopt;
        }
        try {
            deps.db.execute(kInsertPayment, [&](sql::PreparedStatement& st) {
                st.setString(1, payment_id);
                st.setString(2, ids.front());
                st.setString(3, auth.user_id);
                st.setString(4, admission);
                st.setInt64(5, total);
                st.setString(6, s.now);
            });
            deps.db.execute(link_query(ids.size()), [&](sql::PreparedStatement& st) {
                unsigned k = 1;
                for (const std::string& id : ids) {
                    st.setString(k++, payment_id);
                    st.setString(k++, id);
                }
            });
        } catch (const sql::SQLException& e) {
            if (e.getErrorCode() != concert::kErrDuplicateKey) throw;
            // Which unique key: this admission paid another order already
            // (Redis lost its claim or the ticket's end), or a hold was paid.
            if (std::string(e.what()).find("payments_one_per_admission") != std::string::npos) {
                throw concert::HttpError{403, "Queue token is not active"};
            }
            throw concert::HttpError{409, "Reservation is already paid"};
        }
        deps.db.execute(kLedger, [&](sql::PreparedStatement& st) {
            st.setString(1, auth.user_id);
            st.setInt64(2, -total);
            st.setInt64(3, new_balance);
            st.setString(4, payment_id);
            st.setString(5, s.now);
        });
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "paymentId", payment_id);
        concert::add_string(out.get(), "reservationId", ids.front());
        cJSON* paid_ids = cJSON_AddArrayToObject(out.get(), "reservationIds");
        for (const std::string& id : ids) cJSON_AddItemToArray(paid_ids, cJSON_CreateString(id.c_str()));
        concert::add_string(out.get(), "userId", auth.user_id);
        concert::add_int(out.get(), "amount", total);
        paid_total = total;
        concert::add_string(out.get(), "status", "COMPLETED");
        concert::add_string(out.get(), "paidAt", concert::iso_instant(s.now));
        return concert::json_response(200, concert::to_text(out.get()));
    };
    concert::Written paid = concert::idempotent_write(deps.db, keyed, "payment", kAttempts, admit, pay);
    if (paid.committed) concert::metrics::payment(static_cast<std::int64_t>(ids.size()), paid_total);

    // Only the request that paid ends the token (a replay's token may be a
    // newer one). If Redis fails now the payment stands and the token stays
    // ACTIVE until its active time runs out, but its admission is spent: the
    // database refuses a second order with it.
    if (paid.committed) {
        ticket.paid();
        try {
            concert::queue_expire(deps.redis, {auth.concert_id, auth.ticket, auth.user_id});
        } catch (const std::exception& e) {
            concert::log_line("payment " + payment_id + " stands; its queue ticket " +
                              std::to_string(auth.ticket) + " could not be expired now (" + e.what() +
                              ") and lapses by its active time");
        }
    }
    return paid.response;
}

}  // namespace

int main() { return concert::serve("payments_create", handle, concert::require_token_secret); }
