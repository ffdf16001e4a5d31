#pragma once
// Reading the few fields the crowd needs from the service's answers without
// a JSON parser: the answers are ours (compact cJSON output), and a million
// clients cannot afford a parse tree per poll. Pure, tested in
// tests/unit/crowd_judge_test.cpp.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace crowd {

// The text of "name":"<text>" (no escapes inside), or "".
inline std::string_view json_string(std::string_view body, std::string_view name) {
    std::string key = "\"" + std::string(name) + "\":\"";
    std::size_t at = body.find(key);
    if (at == std::string_view::npos) return {};
    at += key.size();
    std::size_t end = body.find('"', at);
    return end == std::string_view::npos ? std::string_view{} : body.substr(at, end - at);
}

// The integer of "name":<digits>, or 'missing'.
inline std::int64_t json_int(std::string_view body, std::string_view name, std::int64_t missing = -1) {
    std::string key = "\"" + std::string(name) + "\":";
    std::size_t at = body.find(key);
    if (at == std::string_view::npos) return missing;
    at += key.size();
    if (at >= body.size() || ((body[at] < '0' || body[at] > '9') && body[at] != '-')) return missing;
    return std::strtoll(std::string(body.substr(at, 24)).c_str(), nullptr, 10);
}

// Whether "name":true is in the body.
inline bool json_bool(std::string_view body, std::string_view name) {
    return body.find("\"" + std::string(name) + "\":true") != std::string_view::npos;
}

// Every integer of "name":<digits> in the body, in order.
inline std::vector<std::int64_t> json_ints(std::string_view body, std::string_view name) {
    std::vector<std::int64_t> out;
    std::string key = "\"" + std::string(name) + "\":";
    for (std::size_t at = body.find(key); at != std::string_view::npos; at = body.find(key, at + 1)) {
        out.push_back(std::strtoll(std::string(body.substr(at + key.size(), 24)).c_str(), nullptr, 10));
    }
    return out;
}

// The strings of the array "name":["a","b",...].
inline std::vector<std::string> json_strings(std::string_view body, std::string_view name) {
    std::vector<std::string> out;
    std::string key = "\"" + std::string(name) + "\":[";
    std::size_t at = body.find(key);
    if (at == std::string_view::npos) return out;
    at += key.size();
    std::size_t end = body.find(']', at);
    while (at < end) {
        std::size_t open = body.find('"', at);
        if (open == std::string_view::npos || open > end) break;
        std::size_t close = body.find('"', open + 1);
        out.emplace_back(body.substr(open + 1, close - open - 1));
        at = close + 1;
    }
    return out;
}

}  // namespace crowd
