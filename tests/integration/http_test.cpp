// What nginx itself answers: unknown paths, wrong methods, oversized bodies,
// all with the contract's JSON error body.

#include "client.hpp"

#include <fstream>
#include <sstream>

#include <CppUTest/TestHarness.h>

TEST_GROUP(Nginx){};

TEST(Nginx, UnknownPathIs404Json) {
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/nothing-here"), 404, "Not found").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/index.htm"), 404).c_str());
}

TEST(Nginx, BookingPageIsServedWithAStrictPolicy) {
    itest::Reply page = itest::request("GET", "/");
    LONGS_EQUAL(200, page.status);
    STRCMP_CONTAINS("text/html", page.headers["content-type"].c_str());
    STRCMP_CONTAINS("default-src 'self'", page.headers["content-security-policy"].c_str());
    STRCMP_EQUAL("nosniff", page.headers["x-content-type-options"].c_str());
    STRCMP_CONTAINS("<title>Concert tickets</title>", page.body.c_str());
    STRCMP_CONTAINS("javascript", itest::request("GET", "/app.js").headers["content-type"].c_str());
    STRCMP_CONTAINS("text/css", itest::request("GET", "/app.css").headers["content-type"].c_str());
}

TEST(Nginx, ApiDescriptionIsServedFromTheRepositoryFile) {
    std::ifstream file("web/openapi.json", std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    CHECK_TEXT(!text.str().empty(), "web/openapi.json (run from the repository's root)");
    itest::Reply doc = itest::request("GET", "/api/v1/openapi.json");
    LONGS_EQUAL(200, doc.status);
    STRCMP_EQUAL("application/json", doc.headers["content-type"].c_str());
    STRCMP_EQUAL("*", doc.headers["access-control-allow-origin"].c_str());
    CHECK(doc.body == text.str());
    CHECK(doc.json() != nullptr);
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/openapi.json", "{}"), 405).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("DELETE", "/api/v1/openapi.json"), 405).c_str());
}

TEST(Nginx, DocsPageLoadsOnlyFromThisHost) {
    itest::Reply page = itest::request("GET", "/docs");
    LONGS_EQUAL(200, page.status);
    STRCMP_CONTAINS("text/html", page.headers["content-type"].c_str());
    STRCMP_CONTAINS("default-src 'self'", page.headers["content-security-policy"].c_str());
    STRCMP_EQUAL("nosniff", page.headers["x-content-type-options"].c_str());
    CHECK(page.body.find("http://") == std::string::npos && page.body.find("https://") == std::string::npos &&
          page.body.find("//") == std::string::npos);
    for (const char* asset : {"/docs/docs.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"}) {
        itest::Reply file = itest::request("GET", asset);
        LONGS_EQUAL_TEXT(200, file.status, asset);
        CHECK_TEXT(file.body.size() > 100, asset);
    }
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/docs/index.html"), 404).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/docs/swagger-ui-bundle.js.map"), 404).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/docs", "{}"), 405).c_str());
}

TEST(Nginx, PathTraversalIsJust404) {
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/../../etc/passwd"), 404).c_str());
}

TEST(Nginx, WrongMethodIs405Json) {
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users"), 405, "Method not allowed").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("DELETE", "/api/v1/users"), 405).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/healthz", "{}"), 405).c_str());
}

TEST(Nginx, OversizedBodyIs413Json) {
    std::string body(20000, 'x');
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/users", body), 413).c_str());
}

TEST(Nginx, EveryResponseCarriesARequestId) {
    itest::Reply r = itest::request("GET", "/healthz");
    LONGS_EQUAL(32, r.headers["x-request-id"].size());
    itest::Reply missing = itest::request("GET", "/nope");
    LONGS_EQUAL(32, missing.headers["x-request-id"].size());
}
