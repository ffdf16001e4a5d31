// POST /api/v1/users/{userId}/charge {amount} (own token, WAITING or ACTIVE)
//     [Idempotency-Key] -> 200 {userId, chargedAmount, balance, chargedAt}
//      | 400 | 401 | 403 | 404 | 409 | 503
//
// Adds to the prepaid balance with an optimistic update: read the balance
// and its version, write the new balance only if the version is unchanged,
// with a ledger row in the same transaction. Concurrent charges of one user
// retry (bounded, with jitter) until each applies once: nothing is lost.

#include <string>

#include "../shared/auth.hpp"
#include "../shared/holds.hpp"
#include "../shared/idempotency.hpp"
#include "../shared/json.hpp"
#include "../shared/money.hpp"
#include "../shared/runtime.hpp"

namespace {

constexpr int kAttempts = 64;

// The balance, its version, and the database's now for chargedAt.
constexpr const char* kRead =
    "SELECT balance, version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f') FROM users WHERE id = ?";
constexpr const char* kWrite = "UPDATE users SET balance = ?, version = version + 1 WHERE id = ? AND version = ?";
constexpr const char* kLedger =
    "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, created_at) VALUES (?, 'CHARGE', ?, ?, ?)";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Auth auth = concert::authenticate(request, deps);
    std::string user_id = concert::user_id_from_path(request.path);
    concert::require_own(auth, user_id);
    std::int64_t amount = concert::parse_charge_request(request.body);
    std::optional<std::string> key = concert::idempotency_key(request);
    std::string fingerprint = concert::request_fingerprint("charge", user_id + " " + std::to_string(amount));
    if (key) {
        if (auto first = concert::replay(deps.db, user_id, *key, fingerprint)) return *first;
    }
    concert::require_live(auth);

    return concert::with_retries(deps.db, "charge", kAttempts, [&](int attempt) -> std::optional<concert::Response> {
        // A retry with the same key may have waited on the first request's
        // row lock and lost to it: once that one committed, answer as it did.
        if (key && attempt > 0) {
            if (auto first = concert::replay(deps.db, user_id, *key, fingerprint)) return first;
        }
        std::int64_t balance = 0, version = 0;
        std::string now;
        deps.db.run(kRead, [&](sql::PreparedStatement& st) {
            st.setString(1, user_id);
            concert::ResultPtr rs(st.executeQuery());
            if (!rs->next()) throw concert::HttpError{404, "User not found"};
            balance = rs->getInt64(1);
            version = static_cast<std::int64_t>(rs->getUInt64(2));
            now = rs->getString(3);
            return 0;
        });
        std::int64_t new_balance = concert::balance_after_charge(balance, amount);

        deps.db.begin();
        int won = deps.db.run(kWrite, [&](sql::PreparedStatement& st) {
            st.setInt64(1, new_balance);
            st.setString(2, user_id);
            st.setInt64(3, version);
            return st.executeUpdate();
        });
        if (won == 0) {
            deps.db.rollback();  // a concurrent charge or payment of this user won: read again
            return std::nullopt;
        }
        deps.db.run(kLedger, [&](sql::PreparedStatement& st) {
            st.setString(1, user_id);
            st.setInt64(2, amount);
            st.setInt64(3, new_balance);
            st.setString(4, now);
            return st.executeUpdate();
        });
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "userId", user_id);
        concert::add_int(out.get(), "chargedAmount", amount);
        concert::add_int(out.get(), "balance", new_balance);
        concert::add_string(out.get(), "chargedAt", concert::iso_instant(now));
        concert::Response response = concert::json_response(200, concert::to_text(out.get()));
        // The same key may have won in another process meanwhile: then
        // answer as it did, with no second effect.
        if (key && !concert::remember(deps.db, user_id, *key, fingerprint, response)) return response;
        deps.db.commit();
        return response;
    });
}

}  // namespace

int main() { return concert::serve("users_charge", handle); }
