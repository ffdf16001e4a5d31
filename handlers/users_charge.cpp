// POST /api/v1/users/{userId}/charge {amount} (account: the user's secret, or
//     their WAITING or ACTIVE token) [Idempotency-Key]
//     -> 200 {userId, chargedAmount, balance, chargedAt} | 400 | 401 | 403 | 404 | 409 | 415 | 503
//
// Adds to the prepaid balance with an optimistic update: read the balance
// and its version, write the new balance only if the version is unchanged,
// with a ledger row in the same transaction. Concurrent charges of one user
// retry (bounded, with jitter) until each applies once: nothing is lost.
// The Idempotency-Key steps are idempotent_write()'s (store/idempotency.hpp).

#include <string>

#include "base/json.hpp"
#include "base/metrics.hpp"
#include "rules/catalog.hpp"
#include "rules/money.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/idempotency.hpp"

namespace {

constexpr int kAttempts = 64;

// The balance, its version, and the database's now for chargedAt.
constexpr const char* kRead =
    "SELECT balance, version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f') FROM users WHERE id = ?";
constexpr const char* kWrite = "UPDATE users SET balance = ?, version = version + 1 WHERE id = ? AND version = ?";
constexpr const char* kLedger =
    "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, created_at) VALUES (?, 'CHARGE', ?, ?, ?)";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Account caller = concert::authenticate_account(request, deps.config, deps.redis, deps.db);
    std::string user_id = concert::user_id_from_path(request.path);
    concert::require_own(caller, user_id);
    std::int64_t amount = concert::parse_charge_request(request.body);
    concert::KeyedRequest keyed{user_id, concert::idempotency_key(request),
                                concert::request_fingerprint("charge", user_id + " " + std::to_string(amount))};

    auto admit = [&]() -> std::optional<concert::Response> {
        concert::require_live(caller);
        return std::nullopt;
    };
    auto charge = [&](int) -> std::optional<concert::Response> {
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
        if (deps.db.execute(kWrite, [&](sql::PreparedStatement& st) {
                st.setInt64(1, new_balance);
                st.setString(2, user_id);
                st.setInt64(3, version);
            }) == 0) {
            deps.db.rollback();  // a concurrent charge or payment of this user won: read again
            return std::nullopt;
        }
        deps.db.execute(kLedger, [&](sql::PreparedStatement& st) {
            st.setString(1, user_id);
            st.setInt64(2, amount);
            st.setInt64(3, new_balance);
            st.setString(4, now);
        });
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "userId", user_id);
        concert::add_int(out.get(), "chargedAmount", amount);
        concert::add_int(out.get(), "balance", new_balance);
        concert::add_string(out.get(), "chargedAt", concert::iso_instant(now));
        return concert::json_response(200, concert::to_text(out.get()));
    };
    concert::Written charged = concert::idempotent_write(deps.db, keyed, "charge", kAttempts, admit, charge);
    if (charged.committed) concert::metrics::charge(amount);
    return charged.response;
}

}  // namespace

int main() { return concert::serve("users_charge", handle, concert::require_token_secret); }
