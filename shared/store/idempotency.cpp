#include "store/idempotency.hpp"

namespace concert {

namespace {

constexpr const char* kFind =
    "SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = ? AND idem_key = ?";
constexpr const char* kInsert =
    "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status_code, response) VALUES (?, ?, ?, ?, ?)";

}  // namespace

bool is_valid_idempotency_key(std::string_view key) {
    if (key.empty() || key.size() > 64) return false;
    for (char c : key) {
        if (c < 0x20 || c > 0x7E) return false;
    }
    return key.front() != ' ' && key.back() != ' ';
}

std::optional<std::string> idempotency_key(const Request& request) {
    std::optional<std::string> header = request.header("idempotency-key");
    if (!header) return std::nullopt;
    if (request.repeated_headers.count("idempotency-key") != 0) {
        throw HttpError{400, "Idempotency-Key must be sent once"};
    }
    std::string_view key = *header;
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    if (!is_valid_idempotency_key(key)) {
        throw HttpError{400, "Idempotency-Key must be 1 to 64 printable ASCII characters"};
    }
    return std::string(key);
}

std::optional<Answer> replay(Db& db, const KeyedRequest& request) {
    return db.run(kFind, [&](sql::PreparedStatement& st) -> std::optional<Answer> {
        st.setString(1, request.user_id);
        st.setString(2, *request.key);
        ResultPtr rs(st.executeQuery());
        if (!rs->next()) return std::nullopt;
        if (std::string(rs->getString(1)) != request.fingerprint) {
            throw HttpError{409, "Idempotency-Key was already used for a different request"};
        }
        return Answer{rs->getInt(2), rs->getString(3)};
    });
}

Response written_response(const Written& written) {
    Response r = json_response(written.answer.status, written.answer.body);
    if (!written.committed) r.headers.emplace_back("Idempotent-Replayed", "true");
    return r;
}

bool remember(Db& db, const KeyedRequest& request, Answer& answer) {
    try {
        db.execute(kInsert, [&](sql::PreparedStatement& st) {
            st.setString(1, request.user_id);
            st.setString(2, *request.key);
            st.setString(3, request.fingerprint);
            st.setInt(4, answer.status);
            st.setString(5, answer.body);
        });
        return true;
    } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != kErrDuplicateKey) throw;
    }
    db.rollback();
    // Nothing to replay after a duplicate key: the other request's row went
    // away in between (rolled back). The client's retry settles it.
    std::optional<Answer> first = replay(db, request);
    if (!first) throw Unavailable("Database busy, try again");
    answer = *first;
    return false;
}

}  // namespace concert
