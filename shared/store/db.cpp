#include "store/db.hpp"

#include <cppconn/driver.h>
#include <cppconn/statement.h>

#include "base/log.hpp"
#include "base/metrics.hpp"

namespace concert {

namespace {

// Session settings every connection runs with: UTC so that NOW(3) and
// "today" are the same on every host; READ COMMITTED because every race is
// settled by a version-guarded UPDATE, which reads the latest committed row
// at any isolation level, and RC takes no gap locks (fewer deadlocks).
constexpr const char* kSessionSetup =
    "SET time_zone = '+00:00', SESSION tx_isolation = 'READ-COMMITTED', "
    "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

void execute_plain(sql::Connection& conn, const char* text) {
    std::unique_ptr<sql::Statement> st(conn.createStatement());
    st->execute(text);
}

}  // namespace

bool has_no_effect(const std::string& query) {
    return query.rfind("SELECT", 0) == 0 || query == "START TRANSACTION";
}

bool is_write_conflict(const sql::SQLException& e) {
    return e.getErrorCode() == kErrDeadlock || e.getErrorCode() == kErrLockWaitTimeout;
}

bool is_connection_error(const sql::SQLException& e) {
    switch (e.getErrorCode()) {
        case 1053:  // server shutdown in progress
        case 1927:  // connection killed
        case 2002:  // can't connect through socket
        case 2003:  // can't connect to server
        case 2005:  // unknown host
        case 2006:  // server has gone away
        case 2013:  // lost connection during query
        case 2055:  // lost connection at ...
        case 4031:  // disconnected by the server for inactivity
            return true;
        default:
            return e.getSQLState().rfind("08", 0) == 0;
    }
}

Unavailable Db::unavailable(const sql::SQLException& e) {
    metrics::db_error();
    log_line("db: unavailable (" + std::to_string(e.getErrorCode()) + ", " + std::string(e.getSQLState()) +
             "): " + e.what());
    return Unavailable("Database unavailable");
}

void Db::connect() {
    sql::ConnectOptionsMap opts;
    opts["hostName"] = sql::SQLString(config_.db_url);
    opts["userName"] = sql::SQLString(config_.db_user);
    opts["password"] = sql::SQLString(config_.db_password);
    opts["schema"] = sql::SQLString(config_.db_name);
    opts["OPT_CONNECT_TIMEOUT"] = config_.db_connect_timeout_s;
    opts["OPT_READ_TIMEOUT"] = config_.db_read_timeout_s;
    opts["OPT_WRITE_TIMEOUT"] = config_.db_read_timeout_s;
    opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    opts["OPT_RECONNECT"] = false;
    conn_.reset(get_driver_instance()->connect(opts));
    execute_plain(*conn_, kSessionSetup);
    reused_ = false;
}

void Db::drop() {
    statements_.clear();
    conn_.reset();
    in_transaction_ = false;
}

sql::PreparedStatement& Db::prepare(const std::string& query) {
    if (!conn_) connect();
    auto it = statements_.find(query);
    if (it == statements_.end()) {
        it = statements_.emplace(query, std::unique_ptr<sql::PreparedStatement>(conn_->prepareStatement(query))).first;
    }
    return *it->second;
}

void Db::begin() {
    run("START TRANSACTION", [](sql::PreparedStatement& st) { return st.execute(); });
    in_transaction_ = true;
}

void Db::commit() {
    try {
        run("COMMIT", [](sql::PreparedStatement& st) { return st.execute(); });
    } catch (...) {
        in_transaction_ = false;
        throw;
    }
    in_transaction_ = false;
}

void Db::rollback() {
    if (!in_transaction_) return;
    in_transaction_ = false;
    try {
        if (conn_) execute_plain(*conn_, "ROLLBACK");
    } catch (const sql::SQLException& e) {
        // A connection that cannot roll back is dropped; the server rolls the
        // transaction back when the session ends.
        log_line("db: rollback failed (" + std::to_string(e.getErrorCode()) + "), dropping connection");
        drop();
    }
}

void Db::end_request() {
    rollback();
    if (conn_) reused_ = true;
}

}  // namespace concert
