#include "idempotency.hpp"

#include <openssl/sha.h>

namespace concert {

namespace {

constexpr const char* kFind =
    "SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = ? AND idem_key = ?";
constexpr const char* kInsert =
    "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status_code, response) VALUES (?, ?, ?, ?, ?)";
constexpr const char* kForget = "DELETE FROM idempotency_keys WHERE created_at < NOW(3) - INTERVAL ? HOUR LIMIT ?";

}  // namespace

bool is_valid_idempotency_key(std::string_view key) {
    if (key.empty() || key.size() > 64) return false;
    for (char c : key) {
        if (c < 0x21 || c > 0x7E) return false;
    }
    return true;
}

std::optional<std::string> idempotency_key(const Request& request) {
    std::optional<std::string> key = request.header("idempotency-key");
    if (!key) return std::nullopt;
    if (!is_valid_idempotency_key(*key)) {
        throw HttpError{400, "Idempotency-Key must be 1 to 64 printable ASCII characters"};
    }
    return key;
}

std::string request_fingerprint(std::string_view route, std::string_view canonical_request) {
    std::string text = std::string(route) + "\n" + std::string(canonical_request);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : digest) {
        out += kHex[b >> 4];
        out += kHex[b & 0x0F];
    }
    return out;
}

std::optional<Response> replay(Db& db, const std::string& user_id, const std::string& key,
                               const std::string& fingerprint) {
    return db.run(kFind, [&](sql::PreparedStatement& st) -> std::optional<Response> {
        st.setString(1, user_id);
        st.setString(2, key);
        ResultPtr rs(st.executeQuery());
        if (!rs->next()) return std::nullopt;
        if (std::string(rs->getString(1)) != fingerprint) {
            throw HttpError{409, "Idempotency-Key was already used for a different request"};
        }
        Response r = json_response(rs->getInt(2), rs->getString(3));
        r.headers.emplace_back("Idempotent-Replayed", "true");
        return r;
    });
}

bool remember(Db& db, const std::string& user_id, const std::string& key, const std::string& fingerprint,
              Response& response) {
    try {
        db.execute(kInsert, [&](sql::PreparedStatement& st) {
            st.setString(1, user_id);
            st.setString(2, key);
            st.setString(3, fingerprint);
            st.setInt(4, response.status);
            st.setString(5, response.body);
        });
        return true;
    } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != kErrDuplicateKey) throw;
    }
    db.rollback();
    std::optional<Response> first = replay(db, user_id, key, fingerprint);
    if (!first) throw HttpError{503, "Database busy, try again", {{"Retry-After", "1"}}};
    response = *first;
    return false;
}

std::int64_t forget_old_keys(Db& db, int hours, int limit) {
    return db.run(kForget, [&](sql::PreparedStatement& st) {
        st.setInt(1, hours);
        st.setInt(2, limit);
        return static_cast<std::int64_t>(st.executeUpdate());
    });
}

}  // namespace concert
