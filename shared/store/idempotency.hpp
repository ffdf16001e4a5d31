#pragma once
// Idempotency-Key: the first successful response to a keyed request is
// stored in MySQL in the same transaction as its effect, and a retry with
// the same key from the same user gets that response again, from any
// process on any host, with no second effect.
//
// Only successful responses are stored. A request that failed had no effect,
// so its retry simply runs again (and may now succeed, say after a charge).
//
// Every keyed route goes through idempotent_write(), the one core of these
// steps; the route keeps only what differs (its gate and its effect).

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/http.hpp"
#include "store/db.hpp"
#include "store/retry.hpp"

namespace concert {

// The request's Idempotency-Key without leading and trailing spaces, or
// nullopt without one. Throws HttpError 400 unless what remains is 1..64
// characters from 0x20 to 0x7E (spaces inside are part of the key), or if
// the header came twice (which one the client meant is unknowable).
std::optional<std::string> idempotency_key(const Request& request);

// True for a valid key (already trimmed).
bool is_valid_idempotency_key(std::string_view key);

// Who asks, with which key, for what.
struct KeyedRequest {
    std::string user_id;
    std::optional<std::string> key;  // the request's Idempotency-Key, if any
    std::string fingerprint;         // request_fingerprint() of its meaning (rules/money.hpp)
};

// A keyed request's answer as stored: status and JSON body.
struct Answer {
    int status = 200;
    std::string body;
};

// The stored response for the request's (user, key), if any. Throws
// HttpError 409 if the key was used for a different request.
std::optional<Answer> replay(Db& db, const KeyedRequest& request);

// Stores 'answer' inside the effect's open transaction, just before
// COMMIT, and returns true. If a concurrent request with the same key
// stored its answer first, rolls this transaction back, replaces 'answer'
// with that one and returns false: the caller returns it, uncommitted.
bool remember(Db& db, const KeyedRequest& request, Answer& answer);

// What idempotent_write() answered, and whether this call made the effect.
struct Written {
    Answer answer;
    bool committed = false;  // false: the answer of an earlier request with the same key
};

// The HTTP response for it: a replayed answer says so (Idempotent-Replayed).
Response written_response(const Written& written);

// The one core of every write that takes an Idempotency-Key:
//  1. With a key, the stored answer for (user, key) is returned at once
//     (409 if the key served another request) -- before admit() runs, so a
//     retry that comes after the first request ended the credential it used
//     (a payment expires its token) still gets the first answer.
//  2. admit() throws the route's refusal of new work (403 not active, ...),
//     or returns an answer that stands in for the effect (a payment in
//     flight with the same key answered meanwhile), or nullopt to go on.
//  3. attempt(n) runs in with_retries(db, what, attempts, ...): it opens a
//     transaction, makes the effect and returns its answer with the
//     transaction still open, or nullopt after rolling back a lost race.
//     With a key, the answer is stored in that transaction; then COMMIT.
//     If the same key's first request committed meanwhile, in any process,
//     its answer is returned instead and this one commits nothing -- also
//     when this attempt was refused (HttpError) or is a retry.
template <class Admit, class Attempt>
Written idempotent_write(Db& db, const KeyedRequest& request, const char* what, int attempts, Admit&& admit,
                         Attempt&& attempt) {
    if (request.key) {
        if (std::optional<Answer> first = replay(db, request)) return {*first, false};
    }
    if (std::optional<Answer> answered = admit()) return {*answered, false};
    bool committed = false;
    Answer answer = with_retries(db, what, attempts, [&](int n) -> std::optional<Answer> {
        // A retry may have waited on the first request's row lock and lost
        // to it: once that one committed, answer as it did.
        if (request.key && n > 0) {
            if (std::optional<Answer> first = replay(db, request)) return first;
        }
        std::optional<Answer> made;
        try {
            made = attempt(n);
        } catch (const HttpError&) {
            // Refused because the first request with this key did it
            // meanwhile (say, the hold is PAID now): answer as it did.
            db.rollback();
            if (request.key) {
                if (std::optional<Answer> first = replay(db, request)) return first;
            }
            throw;
        }
        if (!made) return std::nullopt;
        if (request.key && !remember(db, request, *made)) return made;
        db.commit();
        committed = true;
        return made;
    });
    return {answer, committed};
}

}  // namespace concert
