#include "base/http.hpp"

#include "http_error.hpp"

#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

using concert::HttpError;

namespace {

int status_of_content_length(const char* value) {
    try {
        concert::parse_content_length(value);
        return 0;
    } catch (const HttpError& e) {
        return e.status;
    }
}

int status_of_query(const char* query) {
    try {
        concert::parse_query(query);
        return 0;
    } catch (const HttpError& e) {
        return e.status;
    }
}

}  // namespace

TEST_GROUP(Http){};

TEST(Http, ErrorBodyHasTheContractShape) {
    STRCMP_EQUAL("{\"statusCode\":409,\"message\":\"Seat is already reserved\",\"error\":\"Conflict\"}",
                 concert::error_body(409, "Seat is already reserved").c_str());
}

TEST(Http, ErrorMessageIsEscapedAsJson) {
    STRCMP_EQUAL("{\"statusCode\":400,\"message\":\"a \\\"b\\\"\",\"error\":\"Bad Request\"}",
                 concert::error_body(400, "a \"b\"").c_str());
}

TEST(Http, ReasonPhrasesCoverTheContractStatuses) {
    STRCMP_EQUAL("Payment Required", concert::reason_phrase(402));
    STRCMP_EQUAL("Payload Too Large", concert::reason_phrase(413));
    STRCMP_EQUAL("Too Many Requests", concert::reason_phrase(429));
    STRCMP_EQUAL("Service Unavailable", concert::reason_phrase(503));
    for (int status : {400, 401, 402, 403, 404, 405, 409, 413, 414, 415, 429, 431, 500, 501, 502, 503, 504}) {
        CHECK_TEXT(std::string(concert::reason_phrase(status)) != "Unknown", std::to_string(status).c_str());
    }
}

TEST(Http, RenderAlwaysWritesStatusTypeAndLength) {
    std::string out = concert::render(concert::json_response(201, "{}"));
    STRCMP_EQUAL("Status: 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", out.c_str());
}

TEST(Http, RenderOfNoContentHasNoBody) {
    concert::Response r = concert::json_response(204, "ignored");
    STRCMP_EQUAL("Status: 204 No Content\r\n\r\n", concert::render(r).c_str());
}

TEST(Http, ErrorResponseCarriesExtraHeaders) {
    concert::Response r = concert::error_response(HttpError{503, "Redis unavailable", {{"Retry-After", "1"}}});
    LONGS_EQUAL(503, r.status);
    CHECK(concert::render(r).find("Retry-After: 1\r\n") != std::string::npos);
}

TEST(Http, ContentLengthAbsentIsZero) {
    LONGS_EQUAL(0, concert::parse_content_length(nullptr));
    LONGS_EQUAL(0, concert::parse_content_length(""));
}

TEST(Http, ContentLengthAtTheLimitIsAccepted) { LONGS_EQUAL(16384, concert::parse_content_length("16384")); }

TEST(Http, ContentLengthOverTheLimitIs413) { LONGS_EQUAL(413, status_of_content_length("16385")); }

TEST(Http, HugeContentLengthIs413NotOverflow) {
    LONGS_EQUAL(413, status_of_content_length("99999999999999999999999999"));
}

TEST(Http, NonNumericContentLengthIs400) {
    LONGS_EQUAL(400, status_of_content_length("12a"));
    LONGS_EQUAL(400, status_of_content_length("-1"));
}

TEST(Http, RequestIsBuiltFromParams) {
    std::vector<std::string_view> params = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/users",
                                            "QUERY_STRING=a=1", "HTTP_AUTHORIZATION=Bearer x",
                                            "CONTENT_TYPE=application/json", "HTTP_IDEMPOTENCY_KEY=k1",
                                            "REQUEST_ID=abc", "REMOTE_ADDR=127.0.0.1"};
    concert::Request r = concert::request_from_params(params, "{}");
    STRCMP_EQUAL("POST", r.method.c_str());
    STRCMP_EQUAL("/api/v1/users", r.path.c_str());
    STRCMP_EQUAL("a=1", r.query.c_str());
    STRCMP_EQUAL("Bearer x", r.header("Authorization")->c_str());
    STRCMP_EQUAL("k1", r.header("idempotency-key")->c_str());
    STRCMP_EQUAL("application/json", r.header("Content-Type")->c_str());
    STRCMP_EQUAL("abc", r.request_id.c_str());
    STRCMP_EQUAL("{}", r.body.c_str());
}

TEST(Http, PathFallsBackToRequestUriWithoutQuery) {
    std::vector<std::string_view> params = {"REQUEST_URI=/healthz?x=1"};
    STRCMP_EQUAL("/healthz", concert::request_from_params(params, "").path.c_str());
}

TEST(Http, MissingHeaderIsEmpty) {
    concert::Request r;
    CHECK_FALSE(r.header("Authorization").has_value());
}

TEST(Http, QueryIsSplitAndDecoded) {
    auto q = concert::parse_query("date=2026-12-01&name=a+b%21&flag");
    STRCMP_EQUAL("2026-12-01", q["date"].c_str());
    STRCMP_EQUAL("a b!", q["name"].c_str());
    STRCMP_EQUAL("", q["flag"].c_str());
}

TEST(Http, EmptyQueryHasNoParameters) { LONGS_EQUAL(0, concert::parse_query("").size()); }

TEST(Http, MalformedEscapeIs400) {
    LONGS_EQUAL(400, status_of_query("date=%2"));
    LONGS_EQUAL(400, status_of_query("date=%zz"));
    LONGS_EQUAL(400, status_of_query("date=%"));
}

TEST(Http, RepeatedQueryParameterIs400) { LONGS_EQUAL(400, status_of_query("date=a&date=b")); }

TEST_GROUP(ContentType){};

TEST(ContentType, JsonWithOrWithoutParametersInAnyCase) {
    CHECK_TRUE(concert::is_json_media_type("application/json"));
    CHECK_TRUE(concert::is_json_media_type("application/json; charset=utf-8"));
    CHECK_TRUE(concert::is_json_media_type("Application/JSON;charset=UTF-8"));
    CHECK_TRUE(concert::is_json_media_type(" application/json "));
}

TEST(ContentType, WhatBrowsersSendCrossSiteWithoutAPreflightIsNotJson) {
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                             "", ";", "application/jsonp", "application/json-patch+json", "text/json"}) {
        CHECK_FALSE_TEXT(concert::is_json_media_type(type), type);
    }
}

TEST(ContentType, ABodyWithoutJsonTypeIs415AndNoBodyNeedsNoType) {
    concert::Request r;
    concert::require_json_body(r);  // no body: nothing to declare
    r.body = "{}";
    STRCMP_EQUAL("415 Content-Type must be application/json", unit::error_of([&] { concert::require_json_body(r); }).c_str());
    r.headers["content-type"] = "text/plain";
    CHECK_THROWS(concert::HttpError, concert::require_json_body(r));
    r.headers["content-type"] = "application/json";
    concert::require_json_body(r);
}

TEST(ContentType, NginxsSecondCopyOfTheTypeIsNeitherReadNorARepeat) {
    concert::Request r = concert::request_from_params(
        {"CONTENT_TYPE=application/json", "HTTP_CONTENT_TYPE=application/json", "HTTP_CONTENT_LENGTH=2"}, "{}");
    STRCMP_EQUAL("application/json", r.header("content-type")->c_str());
    CHECK_TRUE(r.repeated_headers.empty());
    concert::require_json_body(r);
}
