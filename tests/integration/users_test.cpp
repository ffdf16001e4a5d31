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
    itest::Reply r = itest::request("POST", "/api/v1/queue/token", itest::token_request(user, itest::any_room()),
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

// Contract, "Accounts": knowing a user id gives nothing; the secret does.
TEST_GROUP(Secrets){};

namespace {

itest::Reply token_with(const std::string& user, const std::string& secret) {
    return itest::request("POST", "/api/v1/queue/token",
                          "{\"userId\":\"" + user + "\",\"userSecret\":\"" + secret +
                              "\",\"concertId\":" + std::to_string(itest::any_room()) + "}");
}

itest::Reply balance_with(const std::string& user, const std::string& credential) {
    return itest::request("GET", "/api/v1/users/" + user + "/balance", "", {"Authorization: Bearer " + credential});
}

// A well-formed secret that nobody has.
const std::string kStranger = "us_" + std::string(42, 'Q') + "A";

}  // namespace

TEST(Secrets, SignUpReturnsTheSecretOnceAndStoresOnlyItsHash) {
    itest::Reply r = sign_up("{\"name\":\"kim\"}");
    concert::JsonPtr obj = r.json();
    std::string id = itest::text_field(obj.get(), "userId");
    std::string secret = itest::text_field(obj.get(), "userSecret");
    LONGS_EQUAL(46, secret.size());
    STRCMP_EQUAL("us_", secret.substr(0, 3).c_str());
    STRCMP_EQUAL("1", itest::scalar("SELECT COUNT(*) FROM users WHERE id = '" + id +
                                    "' AND secret_hash = UNHEX(SHA2('" + secret + "', 256))").c_str());
    STRCMP_EQUAL("32", itest::scalar("SELECT LENGTH(secret_hash) FROM users WHERE id = '" + id + "'").c_str());
    CHECK(secret != itest::text_field(sign_up("{\"name\":\"kim\"}").json().get(), "userSecret"));
}

TEST(Secrets, AUserIdAloneOrWithAWrongSecretGetsNoToken) {
    std::string victim = itest::new_user("victim");
    std::string attacker = itest::new_user("attacker");
    const char* kRefusal = "Invalid user secret";
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/queue/token",
                                                         "{\"userId\":\"" + victim + "\",\"concertId\":" +
                                                             std::to_string(itest::any_room()) + "}"),
                                          401, kRefusal).c_str());
    STRCMP_EQUAL("", itest::error_problem(token_with(victim, itest::secret_of(attacker)), 401, kRefusal).c_str());
    STRCMP_EQUAL("", itest::error_problem(token_with(victim, kStranger), 401, kRefusal).c_str());
    STRCMP_EQUAL("", itest::error_problem(token_with(victim, "us_short"), 401, kRefusal).c_str());
    // An unknown user gets the very same answer, so ids cannot be probed.
    STRCMP_EQUAL("", itest::error_problem(token_with("01a205b4-376c-7510-adb7-2d373dc1d7c1", kStranger), 401,
                                          kRefusal).c_str());
    LONGS_EQUAL(200, token_with(victim, itest::secret_of(victim)).status);
}

TEST(Secrets, AccountRoutesTakeTheSecretOfThatUserOnly) {
    std::string kim = itest::new_user("kim");
    std::string lee = itest::new_user("lee");
    itest::Reply mine = balance_with(kim, itest::secret_of(kim));
    LONGS_EQUAL(200, mine.status);
    STRCMP_CONTAINS("\"balance\":0", mine.body.c_str());
    itest::Reply charged = itest::request("POST", "/api/v1/users/" + kim + "/charge", "{\"amount\":500}",
                                          {"Authorization: Bearer " + itest::secret_of(kim)});
    LONGS_EQUAL(200, charged.status);
    STRCMP_EQUAL("", itest::error_problem(balance_with(kim, itest::secret_of(lee)), 403,
                                          "Secret belongs to another user").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/users/" + kim + "/charge", "{\"amount\":5}",
                                                         {"Authorization: Bearer " + itest::secret_of(lee)}),
                                          403, "Secret belongs to another user").c_str());
    STRCMP_EQUAL("", itest::error_problem(balance_with(kim, kStranger), 401, "Invalid user secret").c_str());
    STRCMP_CONTAINS("\"balance\":500", balance_with(kim, itest::secret_of(kim)).body.c_str());
}

TEST(Secrets, ResetSecretRevokesTheOldOneAndGivesAUserFromBeforeSecretsOne) {
    std::string kim = itest::new_user("kim");
    std::string old_secret = itest::secret_of(kim);
    int status = -1;
    concert::JsonPtr reset(cJSON_Parse(itest::concertctl("user reset-secret --user " + kim, &status).c_str()));
    LONGS_EQUAL(0, status);
    std::string fresh = itest::text_field(reset.get(), "userSecret");
    STRCMP_EQUAL(kim.c_str(), itest::text_field(reset.get(), "userId").c_str());
    STRCMP_EQUAL("", itest::error_problem(token_with(kim, old_secret), 401, "Invalid user secret").c_str());
    LONGS_EQUAL(200, token_with(kim, fresh).status);

    // A user made before the migration has no secret: no token at all, until
    // an operator gives them one.
    std::string before = concert::new_uuid();
    itest::exec("INSERT INTO users (id, name) VALUES ('" + before + "', 'old')");
    STRCMP_EQUAL("", itest::error_problem(token_with(before, kStranger), 401, "Invalid user secret").c_str());
    concert::JsonPtr given(cJSON_Parse(itest::concertctl("user reset-secret --user " + before, &status).c_str()));
    LONGS_EQUAL(0, status);
    LONGS_EQUAL(200, token_with(before, itest::text_field(given.get(), "userSecret")).status);

    itest::concertctl("user reset-secret --user 01a205b4-376c-7510-adb7-2d373dc1d7c1", &status);
    LONGS_EQUAL(1, status);
}

TEST(Secrets, ResetSecretAlsoEndsTokensTakenWithTheOldOne) {
    std::string kim = itest::new_user("kim");
    std::string token = itest::text_field(token_with(kim, itest::secret_of(kim)).json().get(), "token");
    LONGS_EQUAL(200, balance_with(kim, token).status);
    int status = -1;
    itest::concertctl("user reset-secret --user " + kim, &status);
    LONGS_EQUAL(0, status);
    STRCMP_EQUAL("", itest::error_problem(balance_with(kim, token), 403, "Queue token has expired").c_str());
    itest::Reply queue = itest::request("GET", "/api/v1/queue/status", "", {"Authorization: Bearer " + token});
    STRCMP_EQUAL("EXPIRED", itest::text_field(queue.json().get(), "status").c_str());
}
