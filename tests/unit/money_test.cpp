#include "rules/money.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

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
    std::vector<std::string> one = concert::parse_payment_request("{\"reservationId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\"}", 4);
    LONGS_EQUAL(1, one.size());
    STRCMP_EQUAL("01a205b4-376c-7510-adb7-2d373dc1d7c1", one[0].c_str());
    CHECK_THROWS(concert::HttpError, concert::parse_payment_request("{\"reservationId\":\"01A205B4-376C-7510-ADB7-2D373DC1D7C1\"}", 4));
    CHECK_THROWS(concert::HttpError, concert::parse_payment_request("{\"reservationId\":7}", 4));
    STRCMP_EQUAL("400 reservationIds is required", unit::error_of([] { concert::parse_payment_request("{}", 4); }).c_str());
}

namespace {

const std::string kA = "01a205b4-376c-7510-adb7-2d373dc1d7c1", kB = "01a205b4-376c-7510-adb7-2d373dc1d7c2",
                  kC = "01a205b4-376c-7510-adb7-2d373dc1d7c3";

std::string order_error(const std::string& ids, std::int64_t max = 2) {
    return unit::error_of([&] { concert::parse_payment_request("{\"reservationIds\":" + ids + "}", max); });
}

}  // namespace

TEST(Money, AnOrderIsOneToMaxDistinctIdsInTheirOrder) {
    std::vector<std::string> ids = concert::parse_payment_request("{\"reservationIds\":[\"" + kB + "\",\"" + kA + "\"]}", 2);
    LONGS_EQUAL(2, ids.size());
    STRCMP_EQUAL(kB.c_str(), ids[0].c_str());
    STRCMP_EQUAL("400 reservationIds must be a list of 1 to 2 reservation ids", order_error("[]").c_str());
    STRCMP_EQUAL("400 reservationIds must be a list of 1 to 2 reservation ids",
                 order_error("[\"" + kA + "\",\"" + kB + "\",\"" + kC + "\"]").c_str());
    STRCMP_EQUAL("400 reservationIds must be a list of 1 to 2 reservation ids", order_error("\"" + kA + "\"").c_str());
    STRCMP_EQUAL("400 reservationIds must not repeat an id", order_error("[\"" + kA + "\",\"" + kA + "\"]").c_str());
    STRCMP_EQUAL("400 reservationIds must hold UUIDs in lower-case canonical form", order_error("[7]").c_str());
    STRCMP_EQUAL("400 Give reservationIds or reservationId, not both",
                 unit::error_of([] { concert::parse_payment_request("{\"reservationIds\":[],\"reservationId\":\"x\"}", 2); }).c_str());
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

TEST(Money, PaymentFingerprintIgnoresTheOrderOfItsHolds) {
    STRCMP_EQUAL(concert::payment_fingerprint({"b", "a", "c"}).c_str(), concert::payment_fingerprint({"a", "b", "c"}).c_str());
    CHECK(concert::payment_fingerprint({"a", "b"}) != concert::payment_fingerprint({"a", "b", "c"}));
    STRCMP_EQUAL(concert::request_fingerprint("payment", "a,b").c_str(), concert::payment_fingerprint({"b", "a"}).c_str());
}

TEST(Money, ChargeFingerprintIsItsUserAndAmount) {
    STRCMP_EQUAL(concert::request_fingerprint("charge", "u 100").c_str(), concert::charge_fingerprint("u", 100).c_str());
    CHECK(concert::charge_fingerprint("u", 100) != concert::charge_fingerprint("v", 100));
}

TEST(Money, AdmissionIsRoomTicketAndIssueTime) {
    STRCMP_EQUAL("7:42:1700000000", concert::admission_key(7, 42, 1700000000).c_str());
    CHECK(concert::admission_key(7, 42, 1700000000) != concert::admission_key(7, 42, 1700000001));
}

TEST(Money, PaymentAnswerNamesItsFirstHoldAndEveryHold) {
    std::string body = concert::payment_answer("p1", {"r1", "r2"}, "u1", 300, "2026-12-07 10:00:00.5");
    STRCMP_EQUAL("{\"paymentId\":\"p1\",\"reservationId\":\"r1\",\"reservationIds\":[\"r1\",\"r2\"],"
                 "\"userId\":\"u1\",\"amount\":300,\"status\":\"COMPLETED\",\"paidAt\":\"2026-12-07T10:00:00.500Z\"}",
                 body.c_str());
}

TEST(Money, ChargeAnswerGivesTheNewBalance) {
    STRCMP_EQUAL("{\"userId\":\"u1\",\"chargedAmount\":5,\"balance\":105,\"chargedAt\":\"2026-12-07T10:00:00.000Z\"}",
                 concert::charge_answer("u1", 5, 105, "2026-12-07 10:00:00").c_str());
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

// "<status> <message>" of what check_order() refuses for one hold, or "" if it pays.
// A hold of concert 7 paid with a token of room 'room' (7 unless said).
std::string refusal(bool mine, const char* status, bool lapsed, std::int64_t price, std::int64_t balance,
                    std::int64_t room = 7) {
    return unit::error_of([&] { concert::check_order({{mine, 7, status, lapsed, price}}, room, balance); });
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

TEST(Payable, AnOrdersWorstRefusalWinsAndItsSumMeetsTheBalance) {
    concert::PaymentLookup live{true, 7, "TEMPORARILY_RESERVED", false, 100};
    concert::PaymentLookup paid{true, 7, "PAID", false, 100};
    concert::PaymentLookup theirs{false, 0, "", false, 0};
    concert::PaymentLookup expired{true, 7, "TEMPORARILY_RESERVED", true, 100};
    LONGS_EQUAL(300, concert::check_order({live, live, live}, 7, 300));
    STRCMP_EQUAL("402 Insufficient balance", unit::error_of([&] { concert::check_order({live, live, live}, 7, 299); }).c_str());
    STRCMP_EQUAL("404 Reservation not found", unit::error_of([&] { concert::check_order({paid, live, theirs}, 7, 0); }).c_str());
    STRCMP_EQUAL("409 Reservation is already paid", unit::error_of([&] { concert::check_order({expired, paid}, 7, 0); }).c_str());
    STRCMP_EQUAL("400 Reservation has expired", unit::error_of([&] { concert::check_order({live, expired}, 7, 1000); }).c_str());
}
