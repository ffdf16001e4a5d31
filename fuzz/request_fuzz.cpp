// libFuzzer target: the FastCGI request as the runtime reads it. The input
// is split at NUL bytes into CGI parameters ("NAME=value"); the first one is
// CONTENT_LENGTH's value and the last the body. Only HttpError may come out.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= input.size()) {
        std::size_t end = input.find('\0', start);
        if (end == std::string::npos) end = input.size();
        parts.emplace_back(input.data() + start, end - start);
        start = end + 1;
    }
    try {
        std::string length(parts.front());
        concert::parse_content_length(length.c_str());
    } catch (const concert::HttpError&) {
    }
    std::vector<std::string_view> params(parts.begin(), parts.end() - 1);
    concert::Request r = concert::request_from_params(params, std::string(parts.back()));
    r.header("authorization");
    r.header("Idempotency-Key");
    try {
        concert::parse_query(r.query);
    } catch (const concert::HttpError&) {
    }
    concert::render(concert::error_response(concert::HttpError{400, std::string(parts.back())}));
    return 0;
}
