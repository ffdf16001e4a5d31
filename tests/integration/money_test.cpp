// Balance, charge and payment through both instances: the journey, every
// error, concurrent charges and payments, Idempotency-Key, and
// `concertctl check` after each race.

#include <algorithm>
#include <memory>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"
#include "rules/queue.hpp"

#include <CppUTest/TestHarness.h>

namespace {

struct Customer {
    std::string id;
    std::string token;
    std::string auth() const { return "Authorization: Bearer " + token; }
};

// A new user with a token of the concert's room (any room for tests that
// only charge).
Customer customer(long concert = itest::any_room()) {
    Customer c;
    c.id = itest::new_user("payer");
    itest::Reply r = itest::request("POST", "/api/v1/queue/token", itest::token_request(c.id, concert));
    c.token = itest::text_field(r.json().get(), "token");
    return c;
}

itest::Reply charge(const Customer& c, long amount, const std::string& key = "", int instance = 0) {
    std::vector<std::string> headers = {c.auth()};
    if (!key.empty()) headers.push_back("Idempotency-Key: " + key);
    return itest::request_on(instance, "POST", "/api/v1/users/" + c.id + "/charge",
                             "{\"amount\":" + std::to_string(amount) + "}", headers);
}

itest::Reply pay(const Customer& c, const std::string& reservation, const std::string& key = "", int instance = 0) {
    std::vector<std::string> headers = {c.auth()};
    if (!key.empty()) headers.push_back("Idempotency-Key: " + key);
    return itest::request_on(instance, "POST", "/api/v1/payments", "{\"reservationId\":\"" + reservation + "\"}",
                             headers);
}

std::string hold(const Customer& c, long concert, const std::string& date, long seat) {
    itest::Reply r = itest::request("POST", "/api/v1/reservations",
                                    "{\"concertId\":" + std::to_string(concert) + ",\"date\":\"" + date +
                                        "\",\"seatNumber\":" + std::to_string(seat) + "}",
                                    {c.auth()});
    return itest::text_field(r.json().get(), "reservationId");
}

// n holds of the customer: seats 1..n of the concert's date five days ahead.
std::vector<std::string> holds_of(const Customer& c, long concert, long n) {
    std::vector<std::string> out;
    for (long seat = 1; seat <= n; ++seat) out.push_back(hold(c, concert, itest::day(5), seat));
    return out;
}

long balance_of(const Customer& c) { return std::stol(itest::scalar("SELECT balance FROM users WHERE id = '" + c.id + "'")); }

long number(const itest::Reply& r, const char* field) {
    concert::JsonPtr obj = r.json();
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj.get(), field);
    return cJSON_IsNumber(item) ? static_cast<long>(item->valuedouble) : -1;
}

}  // namespace

TEST_GROUP(Money) {
    std::unique_ptr<itest::QueueFixture> queue;
    void setup() override { queue = std::make_unique<itest::QueueFixture>(); }
    void teardown() override { queue.reset(); }
};

TEST(Money, FullJourneyEndsWithASoldSeatAndAnExpiredToken) {
    long concert = itest::add_concert("--name Journey --dates " + itest::day(5) + " --price 120000");
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 10);
    CHECK(!reservation.empty());
    itest::Reply charged = charge(c, 150000);
    LONGS_EQUAL(200, charged.status);
    LONGS_EQUAL(150000, number(charged, "balance"));
    LONGS_EQUAL(150000, number(charged, "chargedAmount"));
    LONGS_EQUAL(24, itest::text_field(charged.json().get(), "chargedAt").size());

    itest::Reply paid = pay(c, reservation);
    LONGS_EQUAL(200, paid.status);
    concert::JsonPtr obj = paid.json();
    STRCMP_EQUAL("COMPLETED", itest::text_field(obj.get(), "status").c_str());
    STRCMP_EQUAL(reservation.c_str(), itest::text_field(obj.get(), "reservationId").c_str());
    STRCMP_EQUAL(c.id.c_str(), itest::text_field(obj.get(), "userId").c_str());
    LONGS_EQUAL(120000, number(paid, "amount"));
    LONGS_EQUAL(36, itest::text_field(obj.get(), "paymentId").size());
    LONGS_EQUAL(24, itest::text_field(obj.get(), "paidAt").size());

    LONGS_EQUAL(30000, balance_of(c));
    STRCMP_EQUAL("SOLD", itest::scalar("SELECT s.status FROM seats s JOIN reservations r ON r.seat_id = s.id "
                                       "WHERE r.id = '" + reservation + "'").c_str());
    STRCMP_EQUAL("PAID", itest::scalar("SELECT status FROM reservations WHERE id = '" + reservation + "'").c_str());
    itest::Reply status = itest::request("GET", "/api/v1/queue/status", "", {c.auth()});
    STRCMP_EQUAL("EXPIRED", itest::text_field(status.json().get(), "status").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/concerts/" + std::to_string(concert) +
                                                                    "/available-dates", "", {c.auth()}),
                                          403, "Queue token is not active").c_str());
    STRCMP_EQUAL("", itest::error_problem(pay(c, reservation), 403, "Queue token is not active").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/" + c.id + "/balance", "", {c.auth()}),
                                          403, "Queue token has expired").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, BalanceIsReadWithAWaitingToken) {
    long concert = itest::add_concert("--name Full --dates " + itest::day(5));
    itest::redis().command({"HSET", "{q:" + std::to_string(concert) + "}:settings", "queue.capacity", "1"});
    customer(concert);  // takes the room's only slot
    Customer c = customer(concert);
    STRCMP_EQUAL("WAITING", itest::text_field(itest::request("GET", "/api/v1/queue/status", "", {c.auth()}).json().get(),
                                              "status").c_str());
    LONGS_EQUAL(200, charge(c, 5000).status);
    itest::Reply r = itest::request("GET", "/api/v1/users/" + c.id + "/balance", "", {c.auth()});
    LONGS_EQUAL(200, r.status);
    STRCMP_EQUAL(("{\"userId\":\"" + c.id + "\",\"balance\":5000}").c_str(), r.body.c_str());
}

TEST(Money, InsufficientBalanceIs402AndChangesNothing) {
    long concert = itest::add_concert("--name Short --dates " + itest::day(5) + " --price 50000");
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    LONGS_EQUAL(200, charge(c, 49999).status);
    STRCMP_EQUAL("", itest::error_problem(pay(c, reservation), 402, "Insufficient balance").c_str());
    LONGS_EQUAL(49999, balance_of(c));
    STRCMP_EQUAL("TEMPORARILY_RESERVED", itest::scalar("SELECT status FROM reservations WHERE id = '" + reservation + "'").c_str());
    STRCMP_EQUAL("0", itest::scalar("SELECT COUNT(*) FROM payments WHERE reservation_id = '" + reservation + "'").c_str());
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM balance_ledger WHERE user_id = '" + c.id + "'").c_str());
    LONGS_EQUAL(200, charge(c, 1).status);
    LONGS_EQUAL(200, pay(c, reservation).status);
    LONGS_EQUAL(0, balance_of(c));
}

TEST(Money, LapsedHoldIs400) {
    queue->set("hold.seconds", 1);
    long concert = itest::add_concert("--name Lapsed --dates " + itest::day(5));
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 2);
    LONGS_EQUAL(200, charge(c, 200000).status);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    STRCMP_EQUAL("", itest::error_problem(pay(c, reservation), 400, "Reservation has expired").c_str());
    LONGS_EQUAL(200000, balance_of(c));
}

TEST(Money, PayingTwiceIs409) {
    long concert = itest::add_concert("--name Twice --dates " + itest::day(5));
    Customer c = customer(concert);
    std::string first = hold(c, concert, itest::day(5), 1);
    std::string second = hold(c, concert, itest::day(5), 2);
    LONGS_EQUAL(200, charge(c, 300000).status);
    LONGS_EQUAL(200, pay(c, first).status);
    // The payment ended the token: take a new one to try again.
    Customer again{c.id, itest::text_field(itest::request("POST", "/api/v1/queue/token",
                                                          itest::token_request(c.id, concert)).json().get(), "token")};
    STRCMP_EQUAL("", itest::error_problem(pay(again, first), 409, "Reservation is already paid").c_str());
    LONGS_EQUAL(200, pay(again, second).status);
    LONGS_EQUAL(100000, balance_of(c));
}

TEST(Money, SomeoneElsesOrUnknownReservationIs404) {
    long concert = itest::add_concert("--name Others --dates " + itest::day(5));
    Customer owner = customer(concert), thief = customer(concert);
    std::string reservation = hold(owner, concert, itest::day(5), 1);
    LONGS_EQUAL(200, charge(thief, 500000).status);
    STRCMP_EQUAL("", itest::error_problem(pay(thief, reservation), 404, "Reservation not found").c_str());
    STRCMP_EQUAL("", itest::error_problem(pay(thief, "01a205b4-376c-7510-adb7-2d373dc1d7c1"), 404).c_str());
    STRCMP_EQUAL("", itest::error_problem(pay(thief, "not-a-uuid"), 400).c_str());
    LONGS_EQUAL(500000, balance_of(thief));
}

TEST(Money, ChargeRulesAre400) {
    Customer c = customer();
    auto post = [&](const std::string& body) {
        return itest::request("POST", "/api/v1/users/" + c.id + "/charge", body, {c.auth()});
    };
    STRCMP_EQUAL("", itest::error_problem(post("{\"amount\":0}"), 400, "amount must be between 1 and 10000000").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"amount\":10000001}"), 400).c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"amount\":-1}"), 400).c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"amount\":1.5}"), 400, "amount must be an integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"amount\":\"100\"}"), 400, "amount must be an integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"amount\":1e300}"), 400, "amount must be an integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{}"), 400, "amount is required").c_str());
    // Whole values written with a fraction or an exponent are not integers.
    for (const char* amount : {"1e3", "1.0", "1E1", "10000000.0"}) {
        STRCMP_EQUAL_TEXT("", itest::error_problem(post(std::string("{\"amount\":") + amount + "}"), 400,
                                                   "amount must be an integer").c_str(), amount);
    }
    // A charge sent as text/plain (what a hostile page can make a browser send) changes nothing.
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/users/" + c.id + "/charge", "{\"amount\":5}",
                                                         {c.auth(), "Content-Type: text/plain"}),
                                          415, "Content-Type must be application/json").c_str());
    STRCMP_EQUAL("", itest::error_problem(charge(c, 5, std::string(65, 'k')), 400,
                                          "Idempotency-Key must be 1 to 64 printable ASCII characters").c_str());
    LONGS_EQUAL(0, balance_of(c));
}

TEST(Money, BalanceNeverPassesOneTrillion) {
    Customer c = customer();
    itest::exec("UPDATE users SET balance = 999999999999, version = version + 1 WHERE id = '" + c.id + "'");
    itest::exec("INSERT INTO balance_ledger (user_id, kind, amount, balance_after) VALUES ('" + c.id +
                "', 'CHARGE', 999999999999, 999999999999)");
    STRCMP_EQUAL("", itest::error_problem(charge(c, 2), 400, "amount would take the balance over 1000000000000").c_str());
    itest::Reply r = charge(c, 1);
    LONGS_EQUAL(200, r.status);
    LONGS_EQUAL(1000000000000, number(r, "balance"));
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, OtherUsersBalanceAndChargeAre403) {
    Customer a = customer(), b = customer();
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/" + b.id + "/balance", "", {a.auth()}),
                                          403, "Token belongs to another user").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/users/" + b.id + "/charge",
                                                         "{\"amount\":5}", {a.auth()}), 403).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/nobody/balance", "", {a.auth()}),
                                          400).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/" + b.id + "/balance"), 401).c_str());
    LONGS_EQUAL(0, balance_of(b));
}

TEST(Money, FiftyConcurrentChargesOfOneUserAllApply) {
    Customer c = customer();
    std::vector<std::string> out = itest::in_processes(50, [&](int i) {
        return std::to_string(charge(c, 1000 + i, "", i % 2).status);
    });
    LONGS_EQUAL(50, std::count(out.begin(), out.end(), "200"));
    long expected = 0;
    for (int i = 0; i < 50; ++i) expected += 1000 + i;
    LONGS_EQUAL(expected, balance_of(c));
    STRCMP_EQUAL("50", itest::scalar("SELECT COUNT(*) FROM balance_ledger WHERE user_id = '" + c.id + "'").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, TenConcurrentPaymentsOfOneHoldDebitOnce) {
    long concert = itest::add_concert("--name Pay10 --dates " + itest::day(5) + " --price 70000");
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    LONGS_EQUAL(200, charge(c, 1000000).status);
    std::vector<std::string> out = itest::in_processes(10, [&](int i) {
        return std::to_string(pay(c, reservation, "", i % 2).status);
    });
    LONGS_EQUAL(1, std::count(out.begin(), out.end(), "200"));
    // The others lost the race (409) or arrived after the payment ended the token (403).
    LONGS_EQUAL(9, std::count(out.begin(), out.end(), "409") + std::count(out.begin(), out.end(), "403"));
    LONGS_EQUAL(930000, balance_of(c));
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM payments WHERE reservation_id = '" + reservation + "'").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, RetriedChargeWithTheSameKeyAppliesOnce) {
    Customer c = customer();
    itest::Reply first = charge(c, 7000, "charge-1");
    itest::Reply again = charge(c, 7000, "charge-1", 1);
    LONGS_EQUAL(200, again.status);
    STRCMP_EQUAL(first.body.c_str(), again.body.c_str());
    LONGS_EQUAL(7000, balance_of(c));
    STRCMP_EQUAL("", itest::error_problem(charge(c, 8000, "charge-1"), 409,
                                          "Idempotency-Key was already used for a different request").c_str());
    // The same key from another user is that user's own key.
    Customer other = customer();
    LONGS_EQUAL(200, charge(other, 8000, "charge-1").status);
    LONGS_EQUAL(7000, balance_of(c));
}

TEST(Money, ConcurrentRetriesWithOneKeyApplyOnce) {
    Customer c = customer();
    std::vector<std::string> out = itest::in_processes(10, [&](int i) {
        itest::Reply r = charge(c, 4321, "same-key", i % 2);
        return std::to_string(r.status) + " " + r.body;
    });
    for (const std::string& o : out) STRCMP_EQUAL(out[0].c_str(), o.c_str());
    STRCMP_CONTAINS("200 ", out[0].c_str());
    LONGS_EQUAL(4321, balance_of(c));
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, RetriedPaymentAnswersTheFirstResponseAfterTheTokenExpired) {
    long concert = itest::add_concert("--name Retry --dates " + itest::day(5));
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    LONGS_EQUAL(200, charge(c, 100000).status);
    itest::Reply first = pay(c, reservation, "pay-1");
    LONGS_EQUAL(200, first.status);
    itest::Reply again = pay(c, reservation, "pay-1", 1);
    LONGS_EQUAL(200, again.status);
    STRCMP_EQUAL(first.body.c_str(), again.body.c_str());
    LONGS_EQUAL(0, balance_of(c));
    STRCMP_EQUAL("", itest::error_problem(pay(c, "01a205b4-376c-7510-adb7-2d373dc1d7c1", "pay-1"), 409).c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, ConcurrentRetriesOfOnePaymentAllAnswerTheFirstResponse) {
    long concert = itest::add_concert("--name PayKey --dates " + itest::day(5));
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 3);
    LONGS_EQUAL(200, charge(c, 100000).status);
    std::vector<std::string> out = itest::in_processes(10, [&](int i) {
        itest::Reply r = pay(c, reservation, "pay-once", i % 2);
        return std::to_string(r.status) + " " + r.body;
    });
    STRCMP_CONTAINS("200 ", out[0].c_str());
    for (const std::string& o : out) STRCMP_EQUAL(out[0].c_str(), o.c_str());
    LONGS_EQUAL(0, balance_of(c));
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, AKeyWithSpacesInsideIsOneKeyAndItsRetryAppliesOnce) {
    Customer c = customer();
    itest::Reply first = charge(c, 300, "K~ !kkkk");
    LONGS_EQUAL(200, first.status);
    itest::Reply again = charge(c, 300, "K~ !kkkk");
    STRCMP_EQUAL(first.body.c_str(), again.body.c_str());
    STRCMP_EQUAL("true", again.headers["idempotent-replayed"].c_str());
    LONGS_EQUAL(300, balance_of(c));
}

TEST(Money, TwoKeyHeadersAre400AndChargeNothing) {
    Customer c = customer();
    itest::Reply r = itest::request("POST", "/api/v1/users/" + c.id + "/charge", "{\"amount\":5}",
                                    {c.auth(), "Idempotency-Key: k-1", "Idempotency-Key: k-2"});
    STRCMP_EQUAL("", itest::error_problem(r, 400, "Idempotency-Key must be sent once").c_str());
    LONGS_EQUAL(0, balance_of(c));
}

// Contract, "Payments": one order per admission. Many payments sent at once
// with one token, of different holds, from many processes and both hosts:
// exactly one goes through; nothing else is charged or sold.
TEST(Money, OneAdmissionPaysOneOrderHoweverManyAreSentAtOnce) {
    long concert = itest::add_concert("--name Greedy --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert);
    std::vector<std::string> holds = holds_of(c, concert, 4);
    LONGS_EQUAL(200, charge(c, 10000).status);
    std::vector<std::string> out = itest::in_processes(20, [&](int i) {
        itest::Reply r = pay(c, holds[static_cast<std::size_t>(i % 4)], "", i % 2);
        return std::to_string(r.status) + " " + r.body;
    });
    int paid = 0, in_progress = 0, not_active = 0;
    for (const std::string& o : out) {
        if (o.rfind("200 ", 0) == 0) ++paid;
        if (o.find("Payment already in progress") != std::string::npos) ++in_progress;
        if (o.find("Queue token is not active") != std::string::npos) ++not_active;
    }
    LONGS_EQUAL(1, paid);
    LONGS_EQUAL(20, paid + in_progress + not_active);
    LONGS_EQUAL(9000, balance_of(c));
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM payments WHERE user_id = '" + c.id + "'").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
    // The admission is spent: the other holds need a new place in line.
    STRCMP_EQUAL("", itest::error_problem(pay(c, holds[0]), 403, "Queue token is not active").c_str());
}

TEST(Money, ParallelRetriesWithOneKeyAllGetTheOneAnswer) {
    long concert = itest::add_concert("--name Retry --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    LONGS_EQUAL(200, charge(c, 1000).status);
    std::vector<std::string> out = itest::in_processes(8, [&](int i) {
        itest::Reply r = pay(c, reservation, "order-1", i % 2);
        return std::to_string(r.status) + " " + r.body;
    });
    for (const std::string& o : out) STRCMP_EQUAL(out[0].c_str(), o.c_str());
    STRCMP_CONTAINS("200 ", out[0].c_str());
    LONGS_EQUAL(0, balance_of(c));
}

TEST(Money, AFailedPaymentGivesTheAdmissionBack) {
    long concert = itest::add_concert("--name Again --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    STRCMP_EQUAL("", itest::error_problem(pay(c, reservation), 402, "Insufficient balance").c_str());
    LONGS_EQUAL(200, charge(c, 1000).status);
    LONGS_EQUAL(200, pay(c, reservation).status);
}

TEST(Money, AClaimLeftByADeadWorkerLapsesAndALiveOneRefuses) {
    long concert = itest::add_concert("--name Crash --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    LONGS_EQUAL(200, charge(c, 1000).status);
    std::string ticket = itest::ticket_of(c.token);
    // A payment in flight elsewhere (its claim still runs) holds the ticket.
    itest::shell("redis-cli -p " + std::to_string(itest::redis_port()) + " HSET '" + concert::room_state_prefix(concert) + "paying' " + ticket +
                 " '99999999999999 someone-else -' >/dev/null");
    STRCMP_EQUAL("", itest::error_problem(pay(c, reservation), 409, "Payment already in progress").c_str());
    // Its worker died: once the claim's time has passed, the ticket pays.
    itest::shell("redis-cli -p " + std::to_string(itest::redis_port()) + " HSET '" + concert::room_state_prefix(concert) + "paying' " + ticket +
                 " '1 someone-else -' >/dev/null");
    LONGS_EQUAL(200, pay(c, reservation).status);
    LONGS_EQUAL(0, balance_of(c));
}

// The same rule without Redis's help: the ticket's end was lost (say a
// failover right after COMMIT), so Redis sees the token ACTIVE again; the
// database still refuses a second order with the same admission.
TEST(Money, ASpentAdmissionPaysNoSecondOrderEvenIfRedisForgotItsEnd) {
    long concert = itest::add_concert("--name Forgot --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert);
    std::string first = hold(c, concert, itest::day(5), 1);
    std::string second = hold(c, concert, itest::day(5), 2);
    LONGS_EQUAL(200, charge(c, 2000).status);
    LONGS_EQUAL(200, pay(c, first).status);
    long ticket = std::stol(itest::ticket_of(c.token));
    std::string room = concert::room_prefix(concert);
    itest::redis().command({"ZADD", room + "active", "99999999999999", std::to_string(ticket)});
    itest::redis().command({"ZADD", room + "seen", "99999999999999", std::to_string(ticket)});
    itest::redis().command({"HSET", room + "owner:" + std::to_string(ticket / 100), std::to_string(ticket % 100),
                            concert::compact_user_id(c.id)});
    STRCMP_EQUAL("", itest::error_problem(pay(c, second), 403, "Queue token is not active").c_str());
    LONGS_EQUAL(1000, balance_of(c));
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM payments WHERE user_id = '" + c.id + "'").c_str());
}

// DELETE /reservations/{id}: a live hold given back frees its seat at once.
TEST(Money, ACancelledHoldFreesItsSeatForEveryoneAtOnce) {
    long concert = itest::add_concert("--name GiveBack --dates " + itest::day(5));
    Customer c = customer(concert), other = customer(concert);
    std::string reservation = hold(c, concert, itest::day(5), 1);
    auto cancel = [](const Customer& who, const std::string& id) {
        return itest::request("DELETE", "/api/v1/reservations/" + id, "", {who.auth()});
    };
    STRCMP_EQUAL("", itest::error_problem(cancel(other, reservation), 404, "Reservation not found").c_str());
    LONGS_EQUAL(204, cancel(c, reservation).status);
    CHECK(!hold(other, concert, itest::day(5), 1).empty());  // the very next request holds it
    LONGS_EQUAL(204, cancel(c, reservation).status);       // already cancelled: nothing to do
    STRCMP_EQUAL("CANCELLED", itest::scalar("SELECT status FROM reservations WHERE id = '" + reservation + "'").c_str());
    STRCMP_EQUAL("", itest::error_problem(pay(c, reservation), 409, "Reservation was cancelled").c_str());
    STRCMP_EQUAL("", itest::error_problem(cancel(c, "01a205b4-376c-7510-adb7-2d373dc1d7c1"), 404).c_str());
    STRCMP_EQUAL("", itest::error_problem(cancel(c, "nope"), 400).c_str());
    // With the secret, too (an account route), and a paid hold is 409.
    std::string mine = hold(other, concert, itest::day(5), 2);
    LONGS_EQUAL(200, charge(other, 100000).status);
    LONGS_EQUAL(200, pay(other, mine).status);
    STRCMP_EQUAL("", itest::error_problem(itest::request("DELETE", "/api/v1/reservations/" + mine, "",
                                                         {"Authorization: Bearer " + itest::secret_of(other.id)}),
                                          409, "Reservation is already paid").c_str());
    // The token that paid has ended: account routes refuse it (the secret works).
    STRCMP_EQUAL("", itest::error_problem(cancel(other, mine), 403).c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

// A cancel and a payment of one hold, sent at once from many processes and
// both hosts: every hold settles to exactly one outcome.
TEST(Money, CancelAndPaymentOfOneHoldSettleToExactlyOneOutcome) {
    long concert = itest::add_concert("--name CancelRace --dates " + itest::day(5) + " --price 1000");
    std::vector<Customer> buyers;
    std::vector<std::string> holds;
    for (long seat = 1; seat <= 10; ++seat) {
        buyers.push_back(customer(concert));
        holds.push_back(hold(buyers.back(), concert, itest::day(5), seat));
        LONGS_EQUAL(200, charge(buyers.back(), 1000).status);
    }
    std::vector<std::string> out = itest::in_processes(20, [&](int i) {
        std::size_t k = static_cast<std::size_t>(i / 2);
        // The cancel with the secret: a payment that went first ends the
        // token, and the cancel must still reach the reservation (409).
        itest::Reply r = i % 2 == 0 ? itest::request_on(i % 4 / 2, "DELETE", "/api/v1/reservations/" + holds[k], "",
                                                        {"Authorization: Bearer " + itest::secret_of(buyers[k].id)})
                                    : pay(buyers[k], holds[k], "", i % 4 / 2);
        return std::to_string(r.status);
    });
    for (std::size_t k = 0; k < holds.size(); ++k) {
        std::string cancelled = out[2 * k], paid = out[2 * k + 1];
        std::string status = itest::scalar("SELECT status FROM reservations WHERE id = '" + holds[k] + "'");
        if (status == "PAID") {
            STRCMP_EQUAL("200", paid.c_str());
            STRCMP_EQUAL("409", cancelled.c_str());
            LONGS_EQUAL(0, balance_of(buyers[k]));
        } else {
            STRCMP_EQUAL("CANCELLED", status.c_str());
            STRCMP_EQUAL("204", cancelled.c_str());
            STRCMP_EQUAL("409", paid.c_str());
            LONGS_EQUAL(1000, balance_of(buyers[k]));
        }
    }
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

// A cancel and the sweep of a hold at the moment it lapses: one outcome.
TEST(Money, CancelAndSweepAtTheMomentAHoldLapsesSettleToOneOutcome) {
    queue->set("hold.seconds", 1);
    long concert = itest::add_concert("--name CancelSweep --dates " + itest::day(5));
    std::vector<Customer> holders;
    std::vector<std::string> holds;
    for (long seat = 1; seat <= 6; ++seat) {
        holders.push_back(customer(concert));
        holds.push_back(hold(holders.back(), concert, itest::day(5), seat));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(950));
    itest::in_processes(12, [&](int i) {
        std::size_t k = static_cast<std::size_t>(i / 2);
        if (i % 2 == 0) {
            return std::to_string(itest::request("DELETE", "/api/v1/reservations/" + holds[k], "",
                                                 {holders[k].auth()}).status);
        }
        itest::concertctl("sweep");
        return std::string("swept");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    itest::concertctl("sweep");
    for (const std::string& id : holds) {
        std::string status = itest::scalar("SELECT status FROM reservations WHERE id = '" + id + "'");
        CHECK_TEXT(status == "CANCELLED" || status == "EXPIRED", status.c_str());
    }
    STRCMP_EQUAL("0", itest::scalar("SELECT COUNT(*) FROM seats s JOIN concert_dates d ON d.id = s.concert_date_id "
                                    "WHERE d.concert_id = " + std::to_string(concert) + " AND s.status <> 'FREE'").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

// GET /users/{id}/reservations: the buyer's own, newest first.
TEST(Money, MyReservationsAreListedNewestFirstWithTheirStatuses) {
    long concert = itest::add_concert("--name Mine --dates " + itest::day(5) + " --price 5000");
    Customer c = customer(concert);
    std::string first = hold(c, concert, itest::day(5), 1);
    std::string second = hold(c, concert, itest::day(5), 2);
    std::string third = hold(c, concert, itest::day(5), 3);
    std::string fourth = hold(c, concert, itest::day(5), 4);
    LONGS_EQUAL(204, itest::request("DELETE", "/api/v1/reservations/" + second, "", {c.auth()}).status);
    itest::exec("UPDATE reservations r JOIN seats s ON s.id = r.seat_id SET r.expires_at = NOW(3) - INTERVAL 1 SECOND, "
                "s.hold_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE r.id = '" + third + "'");
    LONGS_EQUAL(200, charge(c, 5000).status);
    itest::Reply paid = pay(c, first);  // ends the token: the list is read with the secret
    LONGS_EQUAL(200, paid.status);
    std::string secret = "Authorization: Bearer " + itest::secret_of(c.id);
    itest::Reply r = itest::request("GET", "/api/v1/users/" + c.id + "/reservations", "", {secret});
    LONGS_EQUAL(200, r.status);
    concert::JsonPtr obj = r.json();
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(obj.get(), "reservations");
    LONGS_EQUAL(4, cJSON_GetArraySize(list));
    auto at = [&](int i, const char* field) { return itest::text_field(cJSON_GetArrayItem(list, i), field); };
    STRCMP_EQUAL(fourth.c_str(), at(0, "reservationId").c_str());
    STRCMP_EQUAL("TEMPORARILY_RESERVED", at(0, "status").c_str());
    CHECK(!at(0, "expiresAt").empty());
    STRCMP_EQUAL("EXPIRED", at(1, "status").c_str());
    STRCMP_EQUAL("CANCELLED", at(2, "status").c_str());
    STRCMP_EQUAL("PAID", at(3, "status").c_str());
    STRCMP_EQUAL(itest::text_field(paid.json().get(), "paymentId").c_str(), at(3, "paymentId").c_str());
    STRCMP_EQUAL("Mine", at(3, "concertName").c_str());
    STRCMP_CONTAINS("\"expiresAt\":null,\"paidAt\":\"", r.body.c_str());
    STRCMP_CONTAINS("\"paidAt\":null,\"paymentId\":null", r.body.c_str());
    // ?limit, and only the caller's own.
    itest::Reply two = itest::request("GET", "/api/v1/users/" + c.id + "/reservations?limit=2", "", {secret});
    LONGS_EQUAL(2, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(two.json().get(), "reservations")));
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/" + c.id + "/reservations?limit=0", "",
                                                         {secret}), 400, "limit must be between 1 and 100").c_str());
    Customer other = customer(concert);
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/" + c.id + "/reservations", "",
                                                         {other.auth()}), 403).c_str());
    // One indexed read of this user's rows only.
    std::string plan = itest::scalar("EXPLAIN FORMAT=JSON SELECT r.id FROM reservations r FORCE INDEX "
                                     "(reservations_user_newest) WHERE r.user_id = '" + c.id +
                                     "' ORDER BY r.created_at DESC, r.id DESC LIMIT 100");
    STRCMP_CONTAINS("\"key\": \"reservations_user_newest\"", plan.c_str());
    CHECK(plan.find("filesort") == std::string::npos);
}

namespace {

itest::Reply pay_order(const Customer& c, const std::vector<std::string>& ids, const std::string& key = "") {
    std::string list;
    for (const std::string& id : ids) list += (list.empty() ? "\"" : ",\"") + id + "\"";
    std::vector<std::string> headers = {c.auth()};
    if (!key.empty()) headers.push_back("Idempotency-Key: " + key);
    return itest::request("POST", "/api/v1/payments", "{\"reservationIds\":[" + list + "]}", headers);
}

std::string statuses_of(const std::vector<std::string>& ids) {
    std::string out;
    for (const std::string& id : ids) out += itest::scalar("SELECT status FROM reservations WHERE id = '" + id + "'") + " ";
    return out;
}

}  // namespace

// An order of several holds: all or nothing, one debit, one payment.
TEST(Money, AnOrderPaysAllItsHoldsAtOnceWithOneDebitAndOnePayment) {
    long concert = itest::add_concert("--name Order --dates " + itest::day(5) + " --price 30000");
    Customer c = customer(concert);
    std::vector<std::string> ids = holds_of(c, concert, 4);
    LONGS_EQUAL(200, charge(c, 120000).status);
    itest::Reply r = pay_order(c, ids, "order-4");
    LONGS_EQUAL(200, r.status);
    concert::JsonPtr obj = r.json();
    LONGS_EQUAL(120000, number(r, "amount"));
    STRCMP_EQUAL(ids[0].c_str(), itest::text_field(obj.get(), "reservationId").c_str());
    LONGS_EQUAL(4, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj.get(), "reservationIds")));
    STRCMP_EQUAL("PAID PAID PAID PAID ", statuses_of(ids).c_str());
    LONGS_EQUAL(0, balance_of(c));
    std::string payment = itest::text_field(obj.get(), "paymentId");
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM payments WHERE user_id = '" + c.id + "'").c_str());
    STRCMP_EQUAL("4", itest::scalar("SELECT COUNT(*) FROM payment_reservations WHERE payment_id = '" + payment + "'").c_str());
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM balance_ledger WHERE payment_id = '" + payment + "'").c_str());
    // Every hold of the order lists that payment.
    itest::Reply mine = itest::request("GET", "/api/v1/users/" + c.id + "/reservations", "",
                                       {"Authorization: Bearer " + itest::secret_of(c.id)});
    concert::JsonPtr listed = mine.json();
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(listed.get(), "reservations");
    LONGS_EQUAL(4, cJSON_GetArraySize(list));
    for (int i = 0; i < 4; ++i) {
        STRCMP_EQUAL(payment.c_str(), itest::text_field(cJSON_GetArrayItem(list, i), "paymentId").c_str());
    }
    // The same key again: the first answer, nothing more; the token has ended.
    itest::Reply again = pay_order(c, {ids[3], ids[2], ids[1], ids[0]}, "order-4");
    STRCMP_EQUAL(r.body.c_str(), again.body.c_str());
    STRCMP_EQUAL("", itest::error_problem(pay_order(c, ids), 403, "Queue token is not active").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Money, AnOrderWithOneBadHoldChangesNothing) {
    long concert = itest::add_concert("--name BadOrder --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert), other = customer(concert);
    std::string a = hold(c, concert, itest::day(5), 1), b = hold(c, concert, itest::day(5), 2);
    std::string theirs = hold(other, concert, itest::day(5), 3);
    LONGS_EQUAL(200, charge(c, 1999).status);
    STRCMP_EQUAL("", itest::error_problem(pay_order(c, {a, b}), 402, "Insufficient balance").c_str());  // short by 1
    STRCMP_EQUAL("", itest::error_problem(pay_order(c, {a, theirs}), 404, "Reservation not found").c_str());
    STRCMP_EQUAL("", itest::error_problem(pay_order(c, {a, a}), 400, "reservationIds must not repeat an id").c_str());
    STRCMP_EQUAL("", itest::error_problem(pay_order(c, {}), 400).c_str());
    itest::exec("UPDATE reservations r JOIN seats s ON s.id = r.seat_id SET r.expires_at = NOW(3) - INTERVAL 1 SECOND, "
                "s.hold_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE r.id = '" + b + "'");
    LONGS_EQUAL(200, charge(c, 1).status);
    STRCMP_EQUAL("", itest::error_problem(pay_order(c, {a, b}), 400, "Reservation has expired").c_str());
    // Nothing of any of it stayed: no seat sold, no money moved.
    STRCMP_EQUAL("TEMPORARILY_RESERVED TEMPORARILY_RESERVED ", statuses_of({a, b}).c_str());
    LONGS_EQUAL(2000, balance_of(c));
    STRCMP_EQUAL("0", itest::scalar("SELECT COUNT(*) FROM payments WHERE user_id = '" + c.id + "'").c_str());
    // The admission is still there: the good hold alone pays.
    LONGS_EQUAL(200, pay_order(c, {a}).status);
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

// concertctl check knows what an order must be: its amount is its seats' prices.
TEST(Money, CheckFindsAnOrderWhoseAmountIsNotItsSeatsPrices) {
    long concert = itest::add_concert("--name Audit --dates " + itest::day(5) + " --price 1000");
    Customer c = customer(concert);
    std::vector<std::string> ids = {hold(c, concert, itest::day(5), 1), hold(c, concert, itest::day(5), 2)};
    LONGS_EQUAL(200, charge(c, 2000).status);
    std::string payment = itest::text_field(pay_order(c, ids).json().get(), "paymentId");
    itest::exec("UPDATE payments SET amount = 1000 WHERE id = '" + payment + "'");
    int status = 0;
    std::string report = itest::concertctl("check", &status);
    itest::exec("UPDATE payments SET amount = 2000 WHERE id = '" + payment + "'");
    LONGS_EQUAL(1, status);
    STRCMP_CONTAINS(("\"paymentsNotEqualToTheirSeatsPrices\":[\"" + payment + "\"]").c_str(), report.c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}
