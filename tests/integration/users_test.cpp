// POST /api/v1/users through nginx against the real stack.

#include <string>
#include <thread>
#include <vector>

#include "base/uuid.hpp"
#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

itest::Reply sign_up(const std::string& body) { return itest::request("POST", "/api/v1/users", body); }

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_GROUP(SignUp){};

TEST(SignUp, NewUserGetsAUuidTheNameAndZeroBalance) {
    itest::Reply r = sign_up("{\"name\":\"kim\"}");
    LONGS_EQUAL(201, r.status);
    concert::JsonPtr obj = r.json();
    CHECK(obj != nullptr);
    std::string id = itest::text_field(obj.get(), "userId");
    CHECK_TRUE(concert::is_canonical_uuid(id));
    STRCMP_EQUAL("kim", itest::text_field(obj.get(), "name").c_str());
    CHECK_EQUAL(0, cJSON_GetObjectItemCaseSensitive(obj.get(), "balance")->valuedouble);
    STRCMP_EQUAL("application/json", r.headers["content-type"].c_str());
    STRCMP_EQUAL(("/api/v1/users/" + id).c_str(), r.headers["location"].c_str());
}

TEST(SignUp, TwoSignUpsWithOneNameAreTwoUsers) {
    std::string a = itest::text_field(sign_up("{\"name\":\"lee\"}").json().get(), "userId");
    std::string b = itest::text_field(sign_up("{\"name\":\"lee\"}").json().get(), "userId");
    CHECK(a != b);
}

TEST(SignUp, HundredKoreanCharactersAreAccepted) {
    itest::Reply r = sign_up("{\"name\":\"" + repeat("\xea\xb9\x80", 100) + "\"}");
    LONGS_EQUAL(201, r.status);
    STRCMP_EQUAL(repeat("\xea\xb9\x80", 100).c_str(), itest::text_field(r.json().get(), "name").c_str());
}

TEST(SignUp, SqlMetacharactersAreStoredAsText) {
    std::string name = "Robert'); DROP TABLE users;-- \\\\ %_";
    itest::Reply r = sign_up("{\"name\":\"" + name + "\"}");
    LONGS_EQUAL(201, r.status);
    STRCMP_EQUAL("Robert'); DROP TABLE users;-- \\ %_", itest::text_field(r.json().get(), "name").c_str());
    LONGS_EQUAL(201, sign_up("{\"name\":\"still here\"}").status);
}

TEST(SignUp, EveryBadBodyIs400WithItsMessage) {
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"" + repeat("a", 101) + "\"}"), 400,
                                          "name must be 1 to 100 characters").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"\"}"), 400, "name must be 1 to 100 characters").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{}"), 400, "name is required").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":null}"), 400, "name is required").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":42}"), 400, "name must be a string").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"  \"}"), 400, "name must not be blank").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"a\\tb\"}"), 400,
                                          "name must not contain control characters").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up(""), 400, "Body must be a JSON object").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("name=kim"), 400, "Body must be a JSON object").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("[\"kim\"]"), 400, "Body must be a JSON object").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"kim\"} trailing"), 400,
                                          "Body must be a JSON object").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"a\",\"name\":\"b\"}"), 400,
                                          "Duplicate field: name").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"\xc3\x28\"}"), 400,
                                          "Body must be UTF-8 JSON text").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"a\\u0000b\"}"), 400,
                                          "Body must not contain NUL characters").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up(repeat("[", 5000)), 400, "Body must be a JSON object").c_str());
}

TEST(SignUp, BodyOverSixteenKibIs413) {
    std::string body = "{\"name\":\"" + repeat("a", 16 * 1024) + "\"}";
    STRCMP_EQUAL("", itest::error_problem(sign_up(body), 413).c_str());
}

TEST(SignUp, BodyJustUnderTheLimitReachesTheHandler) {
    std::string body = "{\"name\":\"kim\",\"pad\":\"" + repeat("a", 16 * 1024 - 40) + "\"}";
    LONGS_EQUAL(201, sign_up(body).status);
}

TEST(SignUp, SixtyFourConcurrentClientsAllSucceed) {
    // 64 clients at once on a pool of a few single-threaded workers: every
    // request is queued in the socket backlog and answered, none hangs.
    constexpr int kClients = 64;
    constexpr int kEach = 5;
    std::vector<int> created(kClients, 0);
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
        threads.emplace_back([c, &created] {
            for (int i = 0; i < kEach; ++i) {
                if (itest::request("POST", "/api/v1/users", "{\"name\":\"c" + std::to_string(c) + "\"}").status == 201) {
                    ++created[static_cast<std::size_t>(c)];
                }
            }
        });
    }
    for (std::thread& t : threads) t.join();
    int total = 0;
    for (int n : created) total += n;
    LONGS_EQUAL(kClients * kEach, total);
}

// Contract, HTTP conventions: a body must be declared application/json, so a
// hostile page cannot make browsers sign up users or take queue places with
// "simple" cross-site requests (they need no CORS preflight).
TEST_GROUP(BodyType){};

TEST(BodyType, SignUpAsTextPlainOrFormIs415AndCreatesNoUser) {
    std::string before = itest::scalar("SELECT COUNT(*) FROM users");
    for (const char* type : {"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
                             "Content-Type: multipart/form-data; boundary=x", "Content-Type:"}) {
        itest::Reply r = itest::request("POST", "/api/v1/users", "{\"name\":\"csrf\"}", {type});
        STRCMP_EQUAL_TEXT("", itest::error_problem(r, 415, "Content-Type must be application/json").c_str(), type);
    }
    STRCMP_EQUAL(before.c_str(), itest::scalar("SELECT COUNT(*) FROM users").c_str());
}

TEST(BodyType, QueueTokenAsTextPlainIs415) {
    std::string user = itest::new_user();
    itest::Reply r = itest::request("POST", "/api/v1/queue/token", "{\"userId\":\"" + user + "\"}",
                                    {"Content-Type: text/plain;charset=UTF-8"});
    STRCMP_EQUAL("", itest::error_problem(r, 415, "Content-Type must be application/json").c_str());
}

TEST(BodyType, JsonWithACharsetInAnyCaseIsAccepted) {
    LONGS_EQUAL(201, itest::request("POST", "/api/v1/users", "{\"name\":\"kim\"}",
                                    {"Content-Type: Application/JSON; charset=utf-8"}).status);
}

TEST(SignUp, BidiOverridesAndC1ControlsInANameAre400) {
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"\\u202e\\u0085x\"}"), 400,
                                          "name must not contain control or format characters").c_str());
    STRCMP_EQUAL("", itest::error_problem(sign_up("{\"name\":\"\\u00a0\\u3000\"}"), 400, "name must not be blank").c_str());
}
