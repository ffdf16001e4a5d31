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
#include "store/money.hpp"

namespace {

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
    // Rendered inside the charge's transaction: with a key it is stored there.
    auto render = [&](const concert::Charged& c) {
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "userId", user_id);
        concert::add_int(out.get(), "chargedAmount", amount);
        concert::add_int(out.get(), "balance", c.balance);
        concert::add_string(out.get(), "chargedAt", concert::iso_instant(c.charged_at));
        return concert::json_response(200, concert::to_text(out.get()));
    };
    concert::Written charged = concert::charge_balance(deps.db, keyed, user_id, amount, admit, render);
    if (charged.committed) concert::metrics::charge(amount);
    return charged.response;
}

}  // namespace

int main() { return concert::serve("users_charge", handle, concert::require_token_secret); }
