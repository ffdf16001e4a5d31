#include "store/db.hpp"

#include <cppconn/driver.h>
#include <cppconn/statement.h>

#include "base/log.hpp"
#include "base/metrics.hpp"
#include "rules/sql_rules.hpp"

namespace concert {

namespace {

// Session settings every connection runs with: UTC so that NOW(3) and
// "today" are the same on every host; READ COMMITTED because every race is
// settled by a version-guarded UPDATE, which reads the latest committed row
// at any isolation level, and RC takes no gap locks (fewer deadlocks).
// The sql_mode is rules/sql_rules.def's, which the procedures are created with.
const std::string kSessionSetup =
    std::string("SET time_zone = '+00:00', SESSION tx_isolation = 'READ-COMMITTED', SESSION sql_mode = '") +
    kSqlMode + "'";

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
        case 1047:  // a Galera node outside the primary component ("WSREP has not yet prepared node")
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

void Db::count_commit_conflict() {
    metrics::commit_conflict();
    log_line("db: write conflict at COMMIT (certification failure), retrying");
}

void Db::begin_request() {
    statements_in_request_ = 0;
    // Back to the preferred node a while after leaving it, and no sooner than
    // that after it last failed: a node that stays down costs a worker one
    // connect attempt per kBackToPreferredSeconds, not one per request.
    auto settle = std::chrono::seconds(kBackToPreferredSeconds);
    Clock::time_point now = Clock::now();
    if (conn_ && node_ != 0 && !in_transaction_ && now - connected_at_ > settle &&
        (failed_at_.empty() || now - failed_at_[0] > settle)) {
        drop();
    }
}

void Db::connect() {
    if (config_.db_nodes.empty()) {
        open(config_.db_url);
        if (!ready()) throw sql::SQLException("the database node is not ready (wsrep_ready OFF)", "08S01", 2003);
        return;
    }
    // The preferred node first, then the others in order; a node that failed
    // lately goes last, so a dead node costs a connect timeout once, not per request.
    std::size_t n = config_.db_nodes.size();
    failed_at_.resize(n);
    Clock::time_point now = Clock::now();
    std::vector<std::size_t> order, later;
    for (std::size_t i = 0; i < n; ++i) {
        bool lately = failed_at_[i] != Clock::time_point{} &&
                      now - failed_at_[i] < std::chrono::seconds(kNodeQuarantineSeconds);
        (lately ? later : order).push_back(i);
    }
    order.insert(order.end(), later.begin(), later.end());
    std::string why;
    for (std::size_t i : order) {
        const HostPort& node = config_.db_nodes[i];
        std::string address = node.host + ":" + std::to_string(node.port);
        try {
            open("tcp://" + address);
            if (ready()) {
                if (node_ != i) log_line("db: now on node " + address);
                node_ = i;
                connected_at_ = Clock::now();
                return;
            }
            why = address + " is not ready (wsrep_ready OFF)";
        } catch (const sql::SQLException& e) {
            if (!is_connection_error(e)) {
                drop();
                throw;
            }
            why = address + ": " + e.what();
        }
        conn_.reset();
        failed_at_[i] = Clock::now();
        log_line("db: skipping node " + why);
    }
    throw sql::SQLException("no database node is available (last: " + why + ")", "08S01", 2003);
}

bool Db::ready() {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    ResultPtr rs(st->executeQuery(
        "SELECT @@wsrep_on, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
        "WHERE VARIABLE_NAME = 'WSREP_READY')"));
    if (!rs->next() || rs->getInt(1) == 0) return true;  // not a Galera node
    if (std::string(rs->getString(2)) != "ON") return false;
    execute_plain(*conn_, "SET SESSION wsrep_sync_wait = 1");
    return true;
}

void Db::open(const std::string& url) {
    sql::ConnectOptionsMap opts;
    opts["hostName"] = sql::SQLString(url);
    opts["userName"] = sql::SQLString(config_.db_user);
    opts["password"] = sql::SQLString(config_.db_password);
    opts["schema"] = sql::SQLString(config_.db_name);
    opts["OPT_CONNECT_TIMEOUT"] = config_.db_connect_timeout_s;
    opts["OPT_READ_TIMEOUT"] = config_.db_read_timeout_s;
    opts["OPT_WRITE_TIMEOUT"] = config_.db_read_timeout_s;
    opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    opts["OPT_RECONNECT"] = false;
    conn_.reset(get_driver_instance()->connect(opts));
    execute_plain(*conn_, kSessionSetup.c_str());
    reused_ = false;
}

void Db::drop(bool failed) {
    statements_.clear();
    conn_.reset();
    in_transaction_ = false;
    if (failed && !config_.db_nodes.empty()) {
        failed_at_.resize(config_.db_nodes.size());
        failed_at_[node_] = Clock::now();
    }
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
