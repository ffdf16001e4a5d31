#include "store/auth.hpp"

#include <ctime>

#include "base/text.hpp"
#include "rules/users.hpp"
#include "store/queue.hpp"

namespace concert {

namespace {

constexpr const char* kUserOfSecret = "SELECT id FROM users WHERE secret_hash = UNHEX(?)";

}  // namespace

TokenClaims token_claims(const Request& request, const Config& config) {
    std::string token = bearer_token(request.header("authorization"));
    return verify_token(token, config.token_secret, static_cast<std::int64_t>(std::time(nullptr)));
}

Auth authenticate(const Request& request, const Config& config, Redis& redis) {
    TokenClaims claims = token_claims(request, config);
    return Auth{claims.user_id, claims.concert_id, claims.ticket, claims.epoch,
                queue_touch(redis, {claims.concert_id, claims.ticket, claims.user_id, claims.epoch})};
}

void require_active(const Auth& auth) {
    if (auth.status != QueueStatus::Active) throw HttpError{403, "Queue token is not active"};
}

void require_room(const Auth& auth, std::int64_t concert_id) {
    if (auth.concert_id != concert_id) throw HttpError{403, "Queue token is for another concert"};
}

void require_live(const Auth& auth) {
    if (auth.status == QueueStatus::Expired) throw HttpError{403, "Queue token has expired"};
}

void require_own(const Auth& auth, std::string_view user_id) {
    if (auth.user_id != user_id) throw HttpError{403, "Token belongs to another user"};
}

Account authenticate_account(const Request& request, const Config& config, Redis& redis, Db& db) {
    std::string credential = bearer_token(request.header("authorization"));
    Account account;
    if (!is_user_secret(credential)) {
        account.token = authenticate(request, config, redis);
        account.user_id = account.token.user_id;
        return account;
    }
    account.by_secret = true;
    account.user_id = db.run(kUserOfSecret, [&](sql::PreparedStatement& st) {
        st.setString(1, hex_encode(secret_hash(credential)));
        ResultPtr rs(st.executeQuery());
        if (!rs->next()) throw HttpError{401, "Invalid user secret"};
        return std::string(rs->getString(1));
    });
    return account;
}

void require_own(const Account& account, std::string_view user_id) {
    if (account.by_secret && account.user_id != user_id) throw HttpError{403, "Secret belongs to another user"};
    if (!account.by_secret) require_own(account.token, user_id);
}

void require_live(const Account& account) {
    if (!account.by_secret) require_live(account.token);
}

}  // namespace concert
