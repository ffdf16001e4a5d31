#include "runtime/dispatch.hpp"

#include "base/error.hpp"
#include "store/retry.hpp"
#include "unopened_deps.hpp"

#include <stdexcept>
#include <string>

#include <CppUTest/TestHarness.h>

namespace {

concert::Response throws_http_error(const concert::Request&, concert::Deps&) {
    throw concert::HttpError{404, "User not found"};
}
concert::Response throws_std_exception(const concert::Request&, concert::Deps&) {
    throw std::runtime_error("secret detail");
}
concert::Response throws_unavailable(const concert::Request&, concert::Deps&) {
    throw concert::Unavailable("Database unavailable");
}
concert::Response throws_write_conflict(const concert::Request&, concert::Deps&) { throw concert::WriteConflict(); }
concert::Response throws_sql_syntax(const concert::Request&, concert::Deps&) {
    throw sql::SQLException("You have an error in your SQL syntax near 'SELEC'", "42000", 1064);
}
concert::Response answers_created(const concert::Request& r, concert::Deps&) {
    return concert::json_response(201, r.body);
}

}  // namespace

TEST_GROUP(Dispatch) {
    unit::UnopenedDeps stores;
    concert::Deps& deps = stores.deps;
    concert::Request request;
};

TEST(Dispatch, HandlerResponsePassesThrough) {
    request.body = "{}";
    concert::Response r = concert::dispatch(answers_created, request, deps);
    LONGS_EQUAL(201, r.status);
    STRCMP_EQUAL("{}", r.body.c_str());
}

TEST(Dispatch, HttpErrorBecomesItsStatusAndBody) {
    concert::Response r = concert::dispatch(throws_http_error, request, deps);
    LONGS_EQUAL(404, r.status);
    STRCMP_EQUAL("{\"statusCode\":404,\"message\":\"User not found\",\"error\":\"Not Found\"}", r.body.c_str());
}

TEST(Dispatch, UnexpectedExceptionIs500WithoutDetail) {
    concert::Response r = concert::dispatch(throws_std_exception, request, deps);
    LONGS_EQUAL(500, r.status);
    CHECK(r.body.find("secret") == std::string::npos);
}

TEST(Dispatch, StoreOutageIs503WithRetryAfter) {
    concert::Response r = concert::dispatch(throws_unavailable, request, deps);
    LONGS_EQUAL(503, r.status);
    STRCMP_EQUAL("{\"statusCode\":503,\"message\":\"Database unavailable\",\"error\":\"Service Unavailable\"}",
                 r.body.c_str());
    STRCMP_EQUAL("Retry-After", r.headers.at(0).first.c_str());
}

TEST(Dispatch, UnsettledWriteConflictIs503) {
    concert::Response r = concert::dispatch(throws_write_conflict, request, deps);
    LONGS_EQUAL(503, r.status);
    STRCMP_CONTAINS("Database busy, try again", r.body.c_str());
}

TEST(Dispatch, SqlErrorTextNeverReachesTheClient) {
    concert::Response r = concert::dispatch(throws_sql_syntax, request, deps);
    LONGS_EQUAL(500, r.status);
    CHECK(r.body.find("SELEC") == std::string::npos);
}

TEST_GROUP(DbErrors){};

TEST(DbErrors, ConnectionErrorsAreRecognised) {
    CHECK_TRUE(concert::is_connection_error(sql::SQLException("", "HY000", 2006)));
    CHECK_TRUE(concert::is_connection_error(sql::SQLException("", "08S01", 0)));
    CHECK_FALSE(concert::is_connection_error(sql::SQLException("", "23000", concert::kErrDuplicateKey)));
}

TEST(DbErrors, DeadlockAndLockWaitAreWriteConflicts) {
    CHECK_TRUE(concert::is_write_conflict(sql::SQLException("", "40001", concert::kErrDeadlock)));
    CHECK_TRUE(concert::is_write_conflict(sql::SQLException("", "HY000", concert::kErrLockWaitTimeout)));
    CHECK_FALSE(concert::is_write_conflict(sql::SQLException("", "23000", concert::kErrDuplicateKey)));
}

// Nothing listens on port 1 of loopback: the connection is refused at once.
TEST(DbErrors, AnUnreachableDatabaseIsUnavailableNotAnHttpError) {
    concert::Config config;
    config.db_url = "tcp://127.0.0.1:1";
    concert::Db db{config};
    CHECK_THROWS(concert::Unavailable, db.run("SELECT 1", [](sql::PreparedStatement& st) { return st.execute(); }));
}

TEST(DbErrors, AnUnreachableRedisIsUnavailableNotAnHttpError) {
    concert::Config config;
    config.redis_port = 1;
    concert::Redis redis{config};
    CHECK_THROWS(concert::Unavailable, redis.command({"PING"}));
}

TEST_GROUP(Retries) {
    concert::Config config;
    concert::Db db{config};
    int calls = 0;
};

TEST(Retries, LostRacesAreTriedAgainUntilOneWins) {
    concert::Response r = concert::with_retries(db, "test", 5, [&](int n) -> std::optional<concert::Response> {
        ++calls;
        if (n < 2) return std::nullopt;
        return concert::json_response(200, "{}");
    });
    LONGS_EQUAL(200, r.status);
    LONGS_EQUAL(3, calls);
}

TEST(Retries, DatabaseReportedConflictsAreTriedAgain) {
    concert::Response r = concert::with_retries(db, "test", 5, [&](int n) -> std::optional<concert::Response> {
        ++calls;
        if (n == 0) throw concert::WriteConflict();
        return concert::json_response(201, "{}");
    });
    LONGS_EQUAL(201, r.status);
    LONGS_EQUAL(2, calls);
}

TEST(Retries, OtherDatabaseErrorsAreNotRetried) {
    CHECK_THROWS(sql::SQLException, concert::with_retries(db, "test", 5, [&](int) -> std::optional<concert::Response> {
        ++calls;
        throw sql::SQLException("Duplicate entry", "23000", concert::kErrDuplicateKey);
    }));
    LONGS_EQUAL(1, calls);
}

TEST(Retries, GivingUpIsUnavailableNeverASilentLoss) {
    try {
        concert::with_retries(db, "charge", 3, [&](int) -> std::optional<concert::Response> {
            ++calls;
            return std::nullopt;
        });
        FAIL("expected Unavailable");
    } catch (const concert::Unavailable& e) {
        STRCMP_EQUAL("charge: too many concurrent updates, try again", e.what());
        LONGS_EQUAL(3, calls);
    }
}

TEST(DbErrors, OnlyStatementsWithoutEffectAreResentAfterAReconnect) {
    CHECK_TRUE(concert::has_no_effect("SELECT 1"));
    CHECK_TRUE(concert::has_no_effect("START TRANSACTION"));
    CHECK_FALSE(concert::has_no_effect("INSERT INTO users (id) VALUES (?)"));
    CHECK_FALSE(concert::has_no_effect("UPDATE seats SET status = 'HELD'"));
    CHECK_FALSE(concert::has_no_effect("COMMIT"));
}
