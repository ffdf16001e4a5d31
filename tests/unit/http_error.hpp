#pragma once
// For unit tests of the request readers: what they refuse, and with what words.

#include <string>

#include "base/error.hpp"

namespace unit {

// The message of the HttpError that fn() throws, or "" if it throws none.
template <class Fn>
std::string error_message(Fn&& fn) {
    try {
        fn();
        return "";
    } catch (const concert::HttpError& e) {
        return e.message;
    }
}

}  // namespace unit
