// The stored procedures as the database holds them (created by
// scripts/migrate.sh from sql/procedures/): each says the SQL rules exactly
// as the C++ constants do (rules/sql_rules.def, one source), and runs under
// the application's sql_mode.

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "client.hpp"
#include "rules/sql_rules.hpp"

#include <CppUTest/TestHarness.h>

namespace {

std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// The first column of the first row of 'sql' as the database's root sees
// it: only the definer (migrate.sh's root) may read a routine's body.
std::string root_scalar(const std::string& sql) {
    std::string file = itest::state_dir() + "/procedures-test.sql";
    std::ofstream(file) << sql << ";\n";
    std::string out =
        itest::output_of("mariadb --socket=" + itest::state_dir() + "/mysql-run/mysqld.sock -uroot -N concert < " + file);
    std::remove(file.c_str());
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

// True if the procedure's body contains 'rule' word for word.
bool says(const char* procedure, const char* rule) {
    return root_scalar(std::string("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
                                   "DATABASE() AND ROUTINE_NAME = '") + procedure +
                       "' AND LOCATE(" + quoted(rule) + ", ROUTINE_DEFINITION) > 0") == "1";
}

std::set<std::string> modes(const std::string& list) {
    std::set<std::string> out;
    std::stringstream in(list);
    for (std::string mode; std::getline(in, mode, ',');) out.insert(mode);
    return out;
}

}  // namespace

TEST_GROUP(Procedures){};

TEST(Procedures, EveryProcedureOfSqlProceduresIsInstalled) {
    STRCMP_EQUAL("cancel_hold,charge_balance,pay_order,place_hold,set_balance",
                 itest::scalar("SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY ROUTINE_NAME) FROM information_schema.ROUTINES "
                               "WHERE ROUTINE_SCHEMA = DATABASE()").c_str());
}

TEST(Procedures, PlaceHoldTakesOnlyASeatThatIsFreeByTheSharedRule) {
    CHECK_TRUE(says("place_hold", concert::kSeatIsFree));
}

TEST(Procedures, CancelHoldSaysLiveAndReleaseAsTheQueriesDo) {
    CHECK_TRUE(says("cancel_hold", concert::kReservationIsLive));
    CHECK_TRUE(says("cancel_hold", concert::kHoldIsLive));
    CHECK_TRUE(says("cancel_hold", concert::kSeatHeldByReservation));
    CHECK_TRUE(says("cancel_hold", concert::kReleaseSeat));
}

TEST(Procedures, PayOrderSellsOnlyLiveHoldsByTheSharedRules) {
    CHECK_TRUE(says("pay_order", concert::kHoldIsLive));
    CHECK_TRUE(says("pay_order", concert::kReservationIsLive));
}

TEST(Procedures, EveryProcedureRunsUnderTheApplicationsSqlMode) {
    std::string rows = itest::scalar(
        "SELECT GROUP_CONCAT(DISTINCT SQL_MODE SEPARATOR '|') FROM information_schema.ROUTINES "
        "WHERE ROUTINE_SCHEMA = DATABASE()");
    CHECK_TRUE(rows.find('|') == std::string::npos);  // one mode for all of them
    CHECK_TRUE(modes(rows) == modes(concert::kSqlMode));
}
