#pragma once
// A timer wheel of 100 ms ticks for millions of clients: each client has at
// most one pending wake-up, kept as its index in the slot of its tick. A
// client rescheduled before its tick is not looked for in the old slot: the
// slot is read lazily and an entry whose client now wakes at another tick is
// skipped (the client's own wake_tick decides). Ticks beyond the wheel's
// span wait in their slot for another turn.

#include <cstdint>
#include <vector>

namespace crowd {

constexpr std::uint32_t kNever = 0xffffffffu;

class Wheel {
public:
    explicit Wheel(std::uint32_t slots = 1u << 15) : slots_(slots) {}

    void schedule(std::uint32_t client, std::uint32_t tick) { slots_[tick % slots_.size()].push_back(client); }

    // Takes the entries of 'tick''s slot; the caller keeps those whose
    // wake_tick is exactly 'tick', puts back those still due later
    // (wake_tick > tick and ≡ tick modulo the span), drops the rest.
    std::vector<std::uint32_t> take(std::uint32_t tick) {
        std::vector<std::uint32_t> out;
        out.swap(slots_[tick % slots_.size()]);
        return out;
    }

    std::uint32_t span() const { return static_cast<std::uint32_t>(slots_.size()); }

private:
    std::vector<std::vector<std::uint32_t>> slots_;
};

}  // namespace crowd
