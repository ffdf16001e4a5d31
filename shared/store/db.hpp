#pragma once
// One MySQL connection per worker process, opened on first use and reused.
// Queries are prepared once per connection and cached by their text. Every
// failure of the connection throws Unavailable (base/error.hpp) and the
// connection is dropped, so the next request opens a fresh one:
// OPT_RECONNECT is never used (it silently loses prepared statements and the
// autocommit state).
//
// With several nodes (CONCERT_DB_NODES, a Galera cluster) the worker still
// keeps one connection, to the first node in the list that answers and is
// ready (wsrep_ready ON); a node whose connection failed is tried last for
// the next kNodeQuarantineSeconds, and a worker that had to leave its
// preferred (first) node goes back to it after kBackToPreferredSeconds. On
// a Galera node every session reads with wsrep_sync_wait = 1: a read waits
// until the node has applied every write the cluster committed before it,
// so a read that decides a write sees the latest commits of every node.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "base/config.hpp"
#include "base/error.hpp"

namespace concert {

constexpr int kErrDuplicateKey = 1062;
constexpr int kErrLockWaitTimeout = 1205;
constexpr int kErrDeadlock = 1213;
constexpr int kErrSignal = 1644;  // SIGNAL SQLSTATE '45000' in a stored procedure (sql/)
constexpr int kNodeQuarantineSeconds = 10;
constexpr int kBackToPreferredSeconds = 30;

// True for errors that mean the connection itself is gone or never came up
// (2002, 2003, 2006, 2013, SQLSTATE 08xxx, ...), as opposed to a statement
// that the server refused.
bool is_connection_error(const sql::SQLException& e);

// True for a statement that changes nothing, so sending it twice is safe.
bool has_no_effect(const std::string& query);

using ResultPtr = std::unique_ptr<sql::ResultSet>;

// A conflict the database itself reports between concurrent writers:
// deadlock 1213 (which is also how Galera reports a failed certification at
// COMMIT) or lock wait timeout 1205. The transaction (or statement) was
// rolled back, so trying the whole attempt again is safe; with_retries
// (store/retry.hpp) does. One that reaches the runtime is a 503 like any
// other Unavailable.
struct WriteConflict : Unavailable {
    WriteConflict() : Unavailable("Database busy, try again") {}
};

// True for the errors that become WriteConflict.
bool is_write_conflict(const sql::SQLException& e);

class Db {
public:
    explicit Db(const Config& config) : config_(config) {}
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // Called by the runtime around each request. end_request() rolls back a
    // transaction the handler left open, so nothing half-written survives
    // an error.
    void begin_request();
    void end_request();

    // Runs fn(statement) with the cached prepared statement for 'query' and
    // returns what fn returns. If the connection was kept from an earlier
    // request and turns out dead on this request's first statement (the
    // server restarted meanwhile), it is reopened and fn runs once more —
    // only for a statement with no effect (a SELECT, START TRANSACTION):
    // a write that was lost "during the query" may have been applied. Any
    // other connection failure throws Unavailable, a write conflict throws
    // WriteConflict; every other SQLException (a duplicate key, ...) passes
    // through as it is, for the caller to decide.
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

    // Several statements in one round trip: CALL of a procedure
    // (sql/procedures/) that starts a transaction and leaves it open for the
    // caller to finish with commit() (after the Idempotency-Key's row, where
    // there is one). The transaction counts as open from the CALL on, so an
    // error on the way (even a lost connection) rolls back here too.
    // Returns false when the procedure SIGNALed that its optimistic guard
    // lost (kErrSignal), after rolling back; a write conflict throws
    // WriteConflict.
    template <class Bind>
    bool call(const std::string& query, Bind&& bind) {
        in_transaction_ = true;
        try {
            execute(query, bind);
        } catch (const sql::SQLException& e) {
            if (e.getErrorCode() != kErrSignal) throw;
            in_transaction_ = false;
            return false;
        }
        return true;
    }

private:
    sql::PreparedStatement& prepare(const std::string& query);
    static Unavailable unavailable(const sql::SQLException& e);  // logs the cause
    void connect();
    void open(const std::string& url);  // one server: connect and set the session up
    bool ready();                       // false for a Galera node not ready for clients
    void drop(bool failed = false);     // failed: the node's connection broke
    static void count_commit_conflict();  // for /metrics and the log

    using Clock = std::chrono::steady_clock;
    const Config& config_;
    std::unique_ptr<sql::Connection> conn_;
    std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
    int statements_in_request_ = 0;
    bool reused_ = false;  // the connection served an earlier request
    bool in_transaction_ = false;
    std::size_t node_ = 0;                  // db_nodes' index in use; 0 is the preferred
    std::vector<Clock::time_point> failed_at_;  // when each node last failed
    Clock::time_point connected_at_;
};

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
            if (is_write_conflict(e)) {
                // At COMMIT it is Galera's certification failure: another
                // node committed a conflicting write first. Retried like any.
                if (query == "COMMIT") count_commit_conflict();
                throw WriteConflict();
            }
            if (!is_connection_error(e)) throw;
            drop(true);
            if (!retryable) throw unavailable(e);
            statements_in_request_ = 0;
        }
    }
}

}  // namespace concert
