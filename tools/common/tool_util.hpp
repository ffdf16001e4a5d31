#pragma once
// Small helpers shared by the test and benchmark load clients
// (tests/tools/fault_load.cpp, bench/load.cpp; neither owns them, so they
// live here): libcurl's body collector, a JSON field as text, and
// calendar-date arithmetic.

#include <cstdio>
#include <ctime>
#include <string>

#include <cjson/cJSON.h>

namespace tool {

// CURLOPT_WRITEFUNCTION that appends to the std::string in CURLOPT_WRITEDATA.
inline size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

// A string or integer field of a JSON object as text; "" if absent.
inline std::string field(const std::string& json, const char* name) {
    cJSON* obj = cJSON_Parse(json.c_str());
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
    std::string out = cJSON_IsString(item) ? item->valuestring
                      : cJSON_IsNumber(item) ? std::to_string(static_cast<long long>(item->valuedouble))
                                             : "";
    cJSON_Delete(obj);
    return out;
}

// YYYY-MM-DD plus 'days' days.
inline std::string add_days(const std::string& date, long days) {
    std::tm tm{};
    std::sscanf(date.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_mday += static_cast<int>(days);
    tm.tm_hour = 12;
    std::time_t t = timegm(&tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", gmtime_r(&t, &tm));
    return buf;
}

}  // namespace tool
