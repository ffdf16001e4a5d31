#include "rules/money.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include "base/http.hpp"
#include "http_error.hpp"
#include "store/idempotency.hpp"

#include <CppUTest/TestHarness.h>

namespace {

std::string charge_error(const std::string& body) {
    return unit::error_message([&] { concert::parse_charge_request(body); });
}

}  // namespace

TEST_GROUP(Money){};

TEST(Money, AmountIsAnIntegerFromOneToTenMillion) {
    LONGS_EQUAL(1, concert::parse_charge_request("{\"amount\":1}"));
    LONGS_EQUAL(10000000, concert::parse_charge_request("{\"amount\":10000000}"));
    STRCMP_EQUAL("amount must be between 1 and 10000000", charge_error("{\"amount\":0}").c_str());
    STRCMP_EQUAL("amount must be between 1 and 10000000", charge_error("{\"amount\":10000001}").c_str());
    STRCMP_EQUAL("amount must be an integer", charge_error("{\"amount\":99.5}").c_str());
    STRCMP_EQUAL("amount must be an integer", charge_error("{\"amount\":\"5\"}").c_str());
    STRCMP_EQUAL("amount must be an integer", charge_error("{\"amount\":1e400}").c_str());
    STRCMP_EQUAL("amount is required", charge_error("{\"amt\":5}").c_str());
}

TEST(Money, AmountIsWrittenAsAPlainInteger) {
    for (const char* amount : {"1e3", "1.0", "1E1", "10000000.0", "10.50", "-0.0", "1e+3"}) {
        STRCMP_EQUAL_TEXT("amount must be an integer", charge_error(std::string("{\"amount\":") + amount + "}").c_str(),
                          amount);
    }
    LONGS_EQUAL(1000, concert::parse_charge_request("{\"amount\":1000}"));
    LONGS_EQUAL(1000, concert::parse_charge_request("{\"note\":\"1.5e3 is text\",\"amount\":1000}"));
}

TEST(Money, BalanceMayReachButNotPassOneTrillion) {
    LONGS_EQUAL(1000000000000, concert::balance_after_charge(999999999999, 1));
    CHECK_THROWS(concert::HttpError, concert::balance_after_charge(999999999999, 2));
    CHECK_THROWS(concert::HttpError, concert::balance_after_charge(1000000000000, 1));
    LONGS_EQUAL(10000000, concert::balance_after_charge(0, 10000000));
}

TEST(Money, HugeAmountsCannotOverflow) {
    CHECK_THROWS(concert::HttpError, concert::balance_after_charge(1000000000000, std::numeric_limits<std::int64_t>::max()));
}

TEST(Money, PaymentBodyNeedsACanonicalUuid) {
    STRCMP_EQUAL("01a205b4-376c-7510-adb7-2d373dc1d7c1",
                 concert::parse_payment_request("{\"reservationId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\"}").c_str());
    CHECK_THROWS(concert::HttpError, concert::parse_payment_request("{\"reservationId\":\"01A205B4-376C-7510-ADB7-2D373DC1D7C1\"}"));
    CHECK_THROWS(concert::HttpError, concert::parse_payment_request("{\"reservationId\":7}"));
    CHECK_THROWS(concert::HttpError, concert::parse_payment_request("{}"));
}

TEST(Money, IdempotencyKeysArePrintableAsciiUpTo64) {
    CHECK_TRUE(concert::is_valid_idempotency_key("a"));
    CHECK_TRUE(concert::is_valid_idempotency_key(std::string(64, '~')));
    CHECK_TRUE(concert::is_valid_idempotency_key("order-42:retry_1"));
    CHECK_FALSE(concert::is_valid_idempotency_key(""));
    CHECK_FALSE(concert::is_valid_idempotency_key(std::string(65, 'a')));
    CHECK_TRUE(concert::is_valid_idempotency_key("K~ !kkkk"));  // the contract: 0x20..0x7E, spaces inside allowed
    CHECK_FALSE(concert::is_valid_idempotency_key("tab\there"));
    CHECK_FALSE(concert::is_valid_idempotency_key("\xea\xb9\x80"));
}

TEST(Money, FingerprintsTellRoutesAndRequestsApart) {
    std::string a = concert::request_fingerprint("charge", "u 100");
    STRCMP_EQUAL(a.c_str(), concert::request_fingerprint("charge", "u 100").c_str());
    CHECK(a != concert::request_fingerprint("charge", "u 101"));
    CHECK(a != concert::request_fingerprint("payment", "u 100"));
    LONGS_EQUAL(64, a.size());
}

TEST(Money, KeyHeaderIsReadAndChecked) {
    concert::Request r;
    CHECK_FALSE(concert::idempotency_key(r).has_value());
    r.headers["idempotency-key"] = "k-1";
    STRCMP_EQUAL("k-1", concert::idempotency_key(r)->c_str());
    r.headers["idempotency-key"] = "";
    CHECK_THROWS(concert::HttpError, concert::idempotency_key(r));
}

TEST(Money, KeySpacesAroundAreNotPartOfItAndOnlySpacesIsNoKey) {
    concert::Request r;
    r.headers["idempotency-key"] = "  K~ !kkkk ";
    STRCMP_EQUAL("K~ !kkkk", concert::idempotency_key(r)->c_str());
    r.headers["idempotency-key"] = "    ";
    CHECK_THROWS(concert::HttpError, concert::idempotency_key(r));
}

TEST(Money, TwoKeyHeadersAre400NotTheLastOneWins) {
    concert::Request r = concert::request_from_params(
        {"REQUEST_METHOD=POST", "HTTP_IDEMPOTENCY_KEY=first", "HTTP_IDEMPOTENCY_KEY=second"}, "{}");
    STRCMP_EQUAL("400 Idempotency-Key must be sent once", unit::error_of([&] { concert::idempotency_key(r); }).c_str());
}

namespace {

// "<status> <message>" of what check_payable() refuses, or "" if it pays.
// A hold of concert 7 paid with a token of room 'room' (7 unless said).
std::string refusal(bool mine, const char* status, bool lapsed, std::int64_t price, std::int64_t balance,
                    std::int64_t room = 7) {
    return unit::error_of([&] { concert::check_payable({mine, 7, status, lapsed, price, balance}, room); });
}

}  // namespace

TEST_GROUP(Payable){};

TEST(Payable, AnotherUsersOrUnknownHoldIs404BeforeAnythingElse) {
    STRCMP_EQUAL("404 Reservation not found", refusal(false, "PAID", true, 100, 0).c_str());
    STRCMP_EQUAL("404 Reservation not found", refusal(false, "", false, 0, 0).c_str());
}

TEST(Payable, AHoldOfAnotherRoomIs403AfterTheOwnershipCheck) {
    STRCMP_EQUAL("403 Queue token is for another concert", refusal(true, "PAID", true, 100, 0, 8).c_str());
    STRCMP_EQUAL("404 Reservation not found", refusal(false, "", false, 0, 0, 8).c_str());
}

TEST(Payable, PaidIs409EvenAfterItsHoldTimeAndWithNoMoney) {
    STRCMP_EQUAL("409 Reservation is already paid", refusal(true, "PAID", true, 100, 0).c_str());
}

TEST(Payable, ACancelledHoldIs409) {
    STRCMP_EQUAL("409 Reservation was cancelled", refusal(true, "CANCELLED", false, 100, 0).c_str());
}

TEST(Payable, LapsedOrExpiredHoldIs400BeforeTheBalanceIsLookedAt) {
    STRCMP_EQUAL("400 Reservation has expired", refusal(true, "TEMPORARILY_RESERVED", true, 100, 0).c_str());
    STRCMP_EQUAL("400 Reservation has expired", refusal(true, "EXPIRED", false, 100, 0).c_str());
}

TEST(Payable, ABalanceShortByOneIs402) {
    STRCMP_EQUAL("402 Insufficient balance", refusal(true, "TEMPORARILY_RESERVED", false, 100, 99).c_str());
}

TEST(Payable, ALiveHoldAndEnoughMoneyMayBePaid) {
    STRCMP_EQUAL("", refusal(true, "TEMPORARILY_RESERVED", false, 100, 100).c_str());
    STRCMP_EQUAL("", refusal(true, "TEMPORARILY_RESERVED", false, 0, 0).c_str());
}
