#pragma once
// For unit tests of the request readers: what they refuse, and with what words.

#include <optional>
#include <string>

#include "base/error.hpp"

namespace unit {

// The HttpError that fn() throws, if it throws one.
template <class Fn>
std::optional<concert::HttpError> thrown(Fn&& fn) {
    try {
        fn();
        return std::nullopt;
    } catch (const concert::HttpError& e) {
        return e;
    }
}

// The message of the HttpError that fn() throws, or "" if it throws none.
template <class Fn>
std::string error_message(Fn&& fn) {
    std::optional<concert::HttpError> e = thrown(fn);
    return e ? e->message : "";
}

// "<status> <message>" of the HttpError that fn() throws, or "" if none.
template <class Fn>
std::string error_of(Fn&& fn) {
    std::optional<concert::HttpError> e = thrown(fn);
    return e ? std::to_string(e->status) + " " + e->message : "";
}

}  // namespace unit
