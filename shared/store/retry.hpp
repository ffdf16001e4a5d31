#pragma once
// The loop every optimistic write runs in, shared by every route that writes.

#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/http.hpp"
#include "store/db.hpp"

namespace concert {

// Sleeps a random 1..(5 * 2^attempt) ms, capped at ~160 ms, before an
// optimistic update is tried again, so that racing requests spread out
// instead of colliding again in step.
void pause_before_retry(int attempt);

// Logs that an optimistic write needed 'retries' more tries (for the record
// of how contended a route is).
void log_retries(const char* what, int retries);

// Calls attempt(n) until it returns a value (a response, or what a store
// function made), at most 'attempts' times, pausing (pause_before_retry)
// between tries. attempt returns nullopt when its version-guarded UPDATE
// lost to a concurrent writer, after rolling back; a WriteConflict that the
// database reports is rolled back here and counts the same. After the last
// try it throws Unavailable ("<what>: too many concurrent updates, try
// again"), never a silent loss.
template <class Fn>
auto with_retries(Db& db, const char* what, int attempts, Fn&& attempt) ->
    typename decltype(attempt(0))::value_type {
    for (int n = 0; n < attempts; ++n) {
        try {
            if (auto response = attempt(n)) {
                if (n > 0) log_retries(what, n);
                return *response;
            }
        } catch (const WriteConflict&) {
            db.rollback();
        }
        pause_before_retry(n);
    }
    throw Unavailable(std::string(what) + ": too many concurrent updates, try again");
}

}  // namespace concert
