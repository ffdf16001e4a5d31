#pragma once
// One MySQL connection per worker process, opened on first use and reused.
// Queries are prepared once per connection and cached by their text. Every
// failure of the connection becomes HttpError 503 and the connection is
// dropped, so the next request opens a fresh one: OPT_RECONNECT is never used
// (it silently loses prepared statements and the autocommit state).

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "config.hpp"
#include "http.hpp"

namespace concert {

constexpr int kErrDuplicateKey = 1062;
constexpr int kErrLockWaitTimeout = 1205;
constexpr int kErrDeadlock = 1213;

// True for errors that mean the connection itself is gone or never came up
// (2002, 2003, 2006, 2013, SQLSTATE 08xxx, ...), as opposed to a statement
// that the server refused.
bool is_connection_error(const sql::SQLException& e);

// True for a statement that changes nothing, so sending it twice is safe.
bool has_no_effect(const std::string& query);

// The status a database error ends a request with: 503 (with Retry-After)
// for a lost connection, a lock wait timeout or a deadlock, which a client
// may simply retry; 500 for anything else. The message never holds SQL text.
HttpError http_error_for(const sql::SQLException& e);

using ResultPtr = std::unique_ptr<sql::ResultSet>;

// Sleeps a random 1..(5 * 2^attempt) ms, capped at ~160 ms, before an
// optimistic update is tried again, so that racing requests spread out
// instead of colliding again in step.
void pause_before_retry(int attempt);

// True for the conflicts the database itself reports between concurrent
// writers: deadlock 1213 (which is also how Galera reports a failed
// certification at COMMIT) and lock wait timeout 1205. The transaction (or
// statement) was rolled back, so trying the whole attempt again is safe.
bool is_write_conflict(const sql::SQLException& e);

// Logs that an optimistic write needed 'retries' more tries (for the record
// of how contended a route is).
void log_retries(const char* what, int retries);

class Db {
public:
    explicit Db(const Config& config) : config_(config) {}
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // Called by the runtime around each request. end_request() rolls back a
    // transaction the handler left open, so nothing half-written survives
    // an error.
    void begin_request() { statements_in_request_ = 0; }
    void end_request();

    // Runs fn(statement) with the cached prepared statement for 'query' and
    // returns what fn returns. If the connection was kept from an earlier
    // request and turns out dead on this request's first statement (the
    // server restarted meanwhile), it is reopened and fn runs once more —
    // only for a statement with no effect (a SELECT, START TRANSACTION):
    // a write that was lost "during the query" may have been applied. Any
    // other connection failure throws HttpError 503.
    template <class Fn>
    auto run(const std::string& query, Fn&& fn) -> decltype(fn(std::declval<sql::PreparedStatement&>()));

    // run() for an INSERT, UPDATE or DELETE: bind(statement) sets the
    // parameters; returns the affected-row count, which is what decides
    // who won an optimistic update.
    template <class Bind>
    int execute(const std::string& query, Bind&& bind) {
        return run(query, [&](sql::PreparedStatement& st) {
            bind(st);
            return st.executeUpdate();
        });
    }

    void begin();     // START TRANSACTION
    void commit();    // COMMIT
    void rollback();  // ROLLBACK; never throws

private:
    sql::PreparedStatement& prepare(const std::string& query);
    void connect();
    void drop();

    const Config& config_;
    std::unique_ptr<sql::Connection> conn_;
    std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
    int statements_in_request_ = 0;
    bool reused_ = false;  // the connection served an earlier request
    bool in_transaction_ = false;
};

// The loop every optimistic write runs in: calls attempt(n) until it returns
// a response, at most 'attempts' times, pausing (pause_before_retry) between
// tries. attempt returns nullopt when its version-guarded UPDATE lost to a
// concurrent writer, after rolling back; a write conflict that the database
// reports (is_write_conflict) is rolled back here and counts the same.
// After the last try: HttpError 503 with Retry-After, never a silent loss.
template <class Fn>
Response with_retries(Db& db, const char* what, int attempts, Fn&& attempt) {
    for (int n = 0; n < attempts; ++n) {
        try {
            if (std::optional<Response> response = attempt(n)) {
                if (n > 0) log_retries(what, n);
                return *response;
            }
        } catch (const sql::SQLException& e) {
            if (!is_write_conflict(e)) throw;
            db.rollback();
        }
        pause_before_retry(n);
    }
    throw HttpError{503, std::string(what) + ": too many concurrent updates, try again", {{"Retry-After", "1"}}};
}

template <class Fn>
auto Db::run(const std::string& query, Fn&& fn) -> decltype(fn(std::declval<sql::PreparedStatement&>())) {
    for (int attempt = 0;; ++attempt) {
        bool retryable = attempt == 0 && reused_ && statements_in_request_ == 0 && !in_transaction_ &&
                         has_no_effect(query);
        try {
            sql::PreparedStatement& st = prepare(query);
            ++statements_in_request_;
            return fn(st);
        } catch (const sql::SQLException& e) {
            if (!is_connection_error(e)) throw;
            drop();
            if (!retryable) throw http_error_for(e);
            statements_in_request_ = 0;
        }
    }
}

}  // namespace concert
