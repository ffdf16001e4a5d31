#include "crowd/population.hpp"

#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "base/config.hpp"
#include "crowd/http.hpp"
#include "crowd/wheel.hpp"
#include "processes.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"

namespace crowd {

std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

double unit(std::uint32_t index, std::uint32_t salt) {
    return static_cast<double>(mix((static_cast<std::uint64_t>(salt) << 32) | index) >> 11) * 0x1.0p-53;
}

Kind kind_of(std::uint32_t index, const Shares& s) {
    double u = unit(index, 1);
    if (u < s.no_show) return Kind::NoShow;
    if (u < s.no_show + s.leaver) return Kind::Leaver;
    if (u < s.no_show + s.leaver + s.late) return Kind::Late;
    return Kind::Follower;
}

bool has_account(std::uint32_t index, const Layout& layout, const Shares& s) {
    return layout.by_route(index) || index % s.account_every == 0;
}

Action action_of(std::uint32_t index, const Layout& layout, const Shares& s) {
    double u = unit(index, 2);
    if (u < s.idle) return Action::Idle;
    if (has_account(index, layout, s) && unit(index, 3) < s.buy) return Action::Buy;
    return Action::LookAndLeave;
}

std::string user_id(std::uint32_t index) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-7000-c000-%012llx", static_cast<unsigned long long>(index) + 1);
    return id;
}

std::string user_secret(std::uint32_t index) {
    std::string hex;
    for (char c : user_id(index)) {
        if (c != '-') hex.push_back(c);
    }
    return "us_" + hex + "AAAAAAAAAAA";
}

namespace {

std::uint32_t tick_at(double seconds, double epoch) {
    return static_cast<std::uint32_t>(std::max(0.0, std::ceil((seconds - epoch) * 10.0)));
}

// One process's share of the bulk issue: every procs-th client from 'first'.
void issue_share(Client* clients, std::uint32_t first, std::uint32_t to, int procs, std::int64_t concert_id, double epoch) {
    concert::Config config = concert::config_from_env();
    concert::Redis redis(config);
    for (std::uint32_t i = first; i < to; i += static_cast<std::uint32_t>(procs)) {
        concert::QueueView view = concert::queue_issue(redis, concert_id, user_id(i));
        double now = now_seconds();
        Client& c = clients[i];
        c.ticket = static_cast<std::uint32_t>(view.ticket);
        c.phase = view.status == concert::QueueStatus::Active ? Phase::Active : Phase::Waiting;
        c.wake_tick = tick_at(now + static_cast<double>(view.poll_after_seconds), epoch);
    }
}

}  // namespace

void bulk_issue(Client* clients, std::uint32_t from, std::uint32_t to, std::int64_t concert_id, int procs, double epoch) {
    bool ok = bench::in_processes(procs, [&](int p) {
        try {
            issue_share(clients, from + static_cast<std::uint32_t>(p), to, procs, concert_id, epoch);
            return 0;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "crowd: bulk issue: %s\n", e.what());
            return 1;
        }
    });
    if (!ok) throw std::runtime_error("a bulk issue process failed");
}

std::vector<std::uint32_t> draw_places(const std::string& seed, std::uint32_t pre_queue) {
    struct Key {
        unsigned char digest[20];
        std::uint32_t ticket;
    };
    std::vector<Key> keys(pre_queue);
    char text[128];
    for (std::uint32_t t = 1; t <= pre_queue; ++t) {
        int n = std::snprintf(text, sizeof text, "%s:%u", seed.c_str(), t);
        unsigned int len = 0;
        EVP_Digest(text, static_cast<std::size_t>(n), keys[t - 1].digest, &len, EVP_sha1(), nullptr);
        keys[t - 1].ticket = t;
    }
    // Bytes compare as their hex text does: each nibble's digit is ordered.
    std::sort(keys.begin(), keys.end(),
              [](const Key& a, const Key& b) { return std::memcmp(a.digest, b.digest, 20) < 0; });
    std::vector<std::uint32_t> place(static_cast<std::size_t>(pre_queue) + 1, 0);
    for (std::uint32_t r = 0; r < pre_queue; ++r) place[keys[r].ticket] = r + 1;
    return place;
}

}  // namespace crowd
