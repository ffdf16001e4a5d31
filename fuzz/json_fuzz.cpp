// libFuzzer target: every request body reader. Each must answer any bytes
// with a value or HttpError 400, never a crash, a hang or another exception.

#include <cstdint>
#include <string>

#include "base/http.hpp"
#include "rules/holds.hpp"
#include "rules/money.hpp"
#include "rules/users.hpp"

namespace {

template <class Fn>
void expect_value_or_400(Fn&& fn) {
    try {
        fn();
    } catch (const concert::HttpError& e) {
        if (e.status != 400) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string body(reinterpret_cast<const char*>(data), size);
    expect_value_or_400([&] { concert::parse_sign_up(body); });
    expect_value_or_400([&] { concert::parse_token_request(body); });
    expect_value_or_400([&] { concert::parse_hold_request(body); });
    expect_value_or_400([&] { concert::parse_charge_request(body); });
    expect_value_or_400([&] { concert::parse_payment_request(body, 4); });
    // The number reader: an amount written as a number token is accepted
    // only when it is a plain integer (no fraction, no exponent, no leading
    // zero).
    expect_value_or_400([&] {
        concert::parse_charge_request("{\"amount\":" + body + "}");
        bool number_token = !body.empty() && body.find_first_not_of("-+0123456789.eE") == std::string::npos;
        if (number_token && body.find_first_of(".eE") != std::string::npos) __builtin_trap();
        std::size_t digits = body[0] == '-' ? 1 : 0;
        bool leading_zero = body.size() > digits + 1 && body[digits] == '0';
        if (number_token && leading_zero) __builtin_trap();
    });
    return 0;
}
