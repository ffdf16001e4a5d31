#include "store/payment_claim.hpp"

#include <chrono>
#include <thread>

#include "base/crypto.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"

namespace concert {

namespace {

// A claim outlives any payment (16 attempts, each bounded by the database's
// timeouts) yet lets a ticket whose worker died pay again within a minute.
constexpr std::int64_t kClaimMs = 60000;
// How long a retry with the same key waits for the payment in flight.
constexpr int kSameKeyWaitSeconds = 10;
constexpr int kSameKeyPollMs = 50;

std::string ticket_name(const Ticket& t) {
    return "ticket " + std::to_string(t.number) + " of room " + std::to_string(t.concert_id);
}

}  // namespace

TicketClaim::~TicketClaim() {
    if (id_.empty()) return;
    try {
        queue_release_payment(redis_, ticket_, id_);
    } catch (const std::exception& e) {
        log_line("payment claim on " + ticket_name(ticket_) + " not released (" + e.what() + "); it lapses in " +
                 std::to_string(kClaimMs / 1000) + " s");
    }
}

std::optional<Answer> TicketClaim::claim(Db& db, const KeyedRequest& keyed) {
    std::string id = new_uuid();
    // The key's tag, so that a retry can tell its own payment in flight.
    std::string tag = keyed.key ? hex_encode(sha256(*keyed.key)).substr(0, 16) : "-";
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(kSameKeyWaitSeconds);
    for (;;) {
        PaymentClaim c = queue_claim_payment(redis_, ticket_, id, kClaimMs, tag);
        if (c.outcome == ClaimOutcome::Claimed) {
            id_ = id;
            return std::nullopt;
        }
        if (c.outcome == ClaimOutcome::NotActive) {
            // The ticket may have ended by the very payment this one
            // retries: it committed (its answer stored) before it ended.
            if (keyed.key) {
                if (std::optional<Answer> first = replay(db, keyed)) return first;
            }
            throw HttpError{403, "Queue token is not active"};
        }
        if (tag == "-" || c.in_flight_tag != tag || std::chrono::steady_clock::now() > give_up) {
            throw HttpError{409, "Payment already in progress"};
        }
        if (std::optional<Answer> first = replay(db, keyed)) return first;
        std::this_thread::sleep_for(std::chrono::milliseconds(kSameKeyPollMs));
    }
}

void TicketClaim::spend(const std::string& payment_id) {
    id_.clear();  // the ticket ends with its claim
    try {
        queue_expire(redis_, ticket_);
    } catch (const std::exception& e) {
        log_line("payment " + payment_id + " stands; its queue " + ticket_name(ticket_) +
                 " could not be expired now (" + e.what() + ") and lapses by its active time");
    }
}

}  // namespace concert
