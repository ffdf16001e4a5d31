// concertctl — the operator command.
//
//   concertctl settings get [--concert N]        every runtime setting (a room's: effective and own)
//   concertctl settings set KEY VALUE [--concert N]   change one (all processes see it within a second)
//   concertctl settings unset KEY --concert N    drop a room's override
//   concertctl queue stats [--concert N]         issued, admitted, waiting, active, calls, lapses, rejoins...
//   concertctl concert add --name NAME --dates D1,D2,... [--seats 50] [--price 100000]
//   concertctl room open --concert N (--at 2026-12-01T10:00:00Z | --now)   schedule the opening draw
//   concertctl user reset-secret --user ID   a new secret for the user; the old one stops working
//   concertctl sweep                     mark lapsed holds EXPIRED, free their seats
//   concertctl check                     verify the invariants; exit 1 on any violation
//
// With no environment it talks to the stack `make run` started (see
// shared/base/config.hpp for the CONCERT_* variables). Prints JSON on stdout;
// on failure prints {"error": "..."} on stderr and exits non-zero.

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <stdexcept>
#include <cstdio>
#include <string>
#include <vector>

#include "base/config.hpp"
#include "base/crypto.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/users.hpp"
#include "check.hpp"
#include "concert_add.hpp"
#include "store/catalog.hpp"
#include "store/db.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"
#include "store/settings.hpp"
#include "sweep.hpp"

namespace {

constexpr const char* kUsage =
    "usage: concertctl settings get [--concert N]\n"
    "       concertctl settings set KEY VALUE [--concert N]\n"
    "       concertctl settings unset KEY --concert N\n"
    "       concertctl queue stats [--concert N]\n"
    "       concertctl concert add --name NAME --dates D1,D2,... [--seats 50] [--price 100000]\n"
    "       concertctl user reset-secret --user ID\n"
    "       concertctl room open --concert N (--at INSTANT | --now)\n"
    "       concertctl sweep\n"
    "       concertctl check\n";

struct UsageError {};

// Idempotency keys are kept at least 24 hours (the contract); the sweep
// deletes them an hour after that.
constexpr int kKeepKeysHours = 25;

int fail(const std::string& message, int code = 1) {
    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "error", message);
    std::fprintf(stderr, "%s\n", concert::to_text(out.get()).c_str());
    return code;
}

// Takes "--concert N" out of 'args' (a room's settings or stats) and checks
// the concert exists; nullopt without the option.
std::optional<std::int64_t> take_concert(std::vector<std::string>& args, concert::Db& db) {
    auto it = std::find(args.begin(), args.end(), "--concert");
    if (it == args.end()) return std::nullopt;
    if (it + 1 == args.end()) throw std::invalid_argument("--concert needs a concert id");
    std::optional<std::int64_t> id = concert::parse_concert_id(*(it + 1));
    if (!id) throw std::invalid_argument("--concert must be a positive integer");
    args.erase(it, it + 2);
    if (!concert::concert_exists(db, *id)) throw std::invalid_argument("no such concert: " + std::to_string(*id));
    return id;
}

void print(const concert::JsonPtr& out) { std::printf("%s\n", concert::to_text(out.get()).c_str()); }

cJSON* add_values(cJSON* obj, const char* name, const std::map<std::string, std::int64_t>& values) {
    cJSON* group = name == nullptr ? obj : cJSON_AddObjectToObject(obj, name);
    for (const auto& [setting, value] : values) concert::add_int(group, setting.c_str(), value);
    return group;
}

// The global values; or, for a room, {concertId, effective, overridden}:
// what its queue runs with and which of it is the room's own.
void print_settings(concert::Redis& redis, std::optional<std::int64_t> room) {
    concert::JsonPtr out = concert::new_object();
    std::map<std::string, std::int64_t> values = concert::load_settings(redis);
    if (!room) {
        add_values(out.get(), nullptr, values);
        print(out);
        return;
    }
    std::map<std::string, std::int64_t> own = concert::load_room_overrides(redis, *room);
    for (const auto& [setting, value] : own) values[setting] = value;
    concert::add_int(out.get(), "concertId", *room);
    add_values(out.get(), "effective", values);
    add_values(out.get(), "overridden", own);
    print(out);
}

int settings_command(std::vector<std::string> args, concert::Redis& redis, concert::Db& db) {
    std::optional<std::int64_t> room = take_concert(args, db);
    if (args.size() == 2 && args[1] == "get") {
        print_settings(redis, room);
        return 0;
    }
    if (args.size() == 4 && args[1] == "set") {
        concert::store_setting(redis, args[2], args[3], room);
        print_settings(redis, room);
        return 0;
    }
    if (args.size() == 3 && args[1] == "unset" && room) {
        concert::unset_room_setting(redis, args[2], *room);
        print_settings(redis, room);
        return 0;
    }
    throw UsageError{};
}

// A room's counters, as stats print them (the totals add them up).
struct Stats {
    std::int64_t issued = 0, admitted = 0, waiting = 0, active = 0, admitted_last_minute = 0;
    std::int64_t called = 0, calls = 0, lapses = 0, rejoins = 0, lapsed_last_minute = 0;

    explicit Stats(const concert::RoomView& v = {})
        : issued(v.seq), admitted(v.claims), waiting(v.waiting()), active(v.slots_in_use()),
          admitted_last_minute(v.admitted_minute), called(v.called), calls(v.calls), lapses(v.lapses),
          rejoins(v.rejoins), lapsed_last_minute(v.lapsed_minute) {}

    Stats& operator+=(const Stats& o) {
        issued += o.issued;
        admitted += o.admitted;
        waiting += o.waiting;
        active += o.active;
        admitted_last_minute += o.admitted_last_minute;
        called += o.called;
        calls += o.calls;
        lapses += o.lapses;
        rejoins += o.rejoins;
        lapsed_last_minute += o.lapsed_last_minute;
        return *this;
    }

    void add_to(cJSON* obj) const {
        concert::add_int(obj, "issued", issued);
        concert::add_int(obj, "admitted", admitted);
        concert::add_int(obj, "waiting", waiting);
        concert::add_int(obj, "active", active);
        concert::add_int(obj, "admittedLastMinute", admitted_last_minute);
        concert::add_int(obj, "calledThrough", called);
        concert::add_int(obj, "calls", calls);
        concert::add_int(obj, "lapses", lapses);
        concert::add_int(obj, "rejoins", rejoins);
        concert::add_int(obj, "lapsedLastMinute", lapsed_last_minute);
    }
};

// One room's counters; or every room with anyone in it, and the totals of
// all rooms.
int queue_command(std::vector<std::string> args, concert::Redis& redis, concert::Db& db) {
    std::optional<std::int64_t> room = take_concert(args, db);
    if (args.size() != 2 || args[1] != "stats") throw UsageError{};
    concert::JsonPtr out = concert::new_object();
    if (room) {
        concert::add_int(out.get(), "concertId", *room);
        Stats(concert::queue_room(redis, *room)).add_to(out.get());
        print(out);
        return 0;
    }
    cJSON* rooms = cJSON_AddArrayToObject(out.get(), "rooms");
    Stats total;
    for (std::int64_t id : concert::queue_rooms(redis)) {
        Stats stats(concert::queue_room(redis, id));
        total += stats;
        if (stats.waiting + stats.active == 0) continue;
        cJSON* one = cJSON_CreateObject();
        concert::add_int(one, "concertId", id);
        stats.add_to(one);
        cJSON_AddItemToArray(rooms, one);
    }
    total.add_to(cJSON_AddObjectToObject(out.get(), "total"));
    print(out);
    return 0;
}

// `room open --concert N (--at INSTANT | --now)`: draws a secret seed (32
// CSPRNG bytes as 64 hex characters), stores it for the room and prints
// {concertId, opensAt, seedCommitment}: the SHA-256 hex of the seed's text,
// published now; the seed itself is published after the opening.
int room_command(std::vector<std::string> args, concert::Redis& redis, concert::Db& db) {
    std::optional<std::int64_t> room = take_concert(args, db);
    if (!room || args.size() < 3 || args[1] != "open") throw UsageError{};
    std::optional<std::int64_t> at;
    if (args.size() == 4 && args[2] == "--at") {
        at = concert::parse_iso_instant(args[3]);
        if (!at) return fail("--at must be an ISO 8601 UTC instant, e.g. 2026-12-01T10:00:00Z");
    } else if (args.size() != 3 || args[2] != "--now") {
        throw UsageError{};
    }
    std::string seed = concert::hex_encode(concert::random_bytes(32));
    std::string commitment = concert::hex_encode(concert::sha256(seed));
    concert::OpenOutcome opened = concert::queue_open_room(redis, *room, at, seed, commitment);
    if (!opened.opened) return fail("cannot schedule the opening: " + opened.refusal);
    concert::JsonPtr out = concert::new_object();
    concert::add_int(out.get(), "concertId", *room);
    concert::add_string(out.get(), "opensAt", concert::iso_from_unix_ms(opened.opens_at_ms));
    concert::add_string(out.get(), "seedCommitment", commitment);
    print(out);
    return 0;
}

constexpr const char* kResetSecret = "UPDATE users SET secret_hash = UNHEX(?) WHERE id = ?";

// `user reset-secret --user ID`: prints {"userId", "userSecret"}. The old
// secret (or none, for a user from before secrets) stops working at once,
// and so do the tokens taken with it: the user's ticket ends (they queue
// again with the new secret).
int user_command(const std::vector<std::string>& args, concert::Db& db, concert::Redis& redis) {
    if (args.size() != 4 || args[1] != "reset-secret" || args[2] != "--user") throw UsageError{};
    const std::string& user_id = args[3];
    if (!concert::is_canonical_uuid(user_id)) return fail("--user must be a UUID in lower-case canonical form");
    // The ticket first: if Redis is down nothing changes, and the secret is
    // never replaced without the new one being printed.
    concert::queue_forget_user(redis, user_id);
    std::string secret = concert::new_user_secret();
    int changed = db.execute(kResetSecret, [&](sql::PreparedStatement& st) {
        st.setString(1, concert::hex_encode(concert::secret_hash(secret)));
        st.setString(2, user_id);
    });
    if (changed != 1) return fail("no such user: " + user_id);
    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "userId", user_id);
    concert::add_string(out.get(), "userSecret", secret);
    std::printf("%s\n", concert::to_text(out.get()).c_str());
    return 0;
}

int concert_command(const std::vector<std::string>& args, concert::Db& db) {
    if (args.size() < 2 || args[1] != "add") throw UsageError{};
    concert::NewConcert c = concert::parse_concert_add({args.begin() + 2, args.end()});
    std::int64_t id = concert::add_concert(db, c);
    concert::JsonPtr out = concert::new_object();
    concert::add_int(out.get(), "concertId", id);
    cJSON* dates = cJSON_AddArrayToObject(out.get(), "dates");
    for (const concert::Date& d : c.dates) {
        cJSON_AddItemToArray(dates, cJSON_CreateString(concert::format_date(d).c_str()));
    }
    std::printf("%s\n", concert::to_text(out.get()).c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // hiredis writes to sockets that may be closed
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        concert::Config config = concert::config_from_env();
        concert::Redis redis(config);
        concert::Db db(config);
        if (!args.empty() && args[0] == "settings") return settings_command(args, redis, db);
        if (!args.empty() && args[0] == "queue") return queue_command(args, redis, db);
        if (!args.empty() && args[0] == "concert") return concert_command(args, db);
        if (!args.empty() && args[0] == "user") return user_command(args, db, redis);
        if (!args.empty() && args[0] == "room") return room_command(args, redis, db);
        if (args.size() == 1 && args[0] == "sweep") {
            // Old keys are forgotten even when the sweep itself fails.
            std::int64_t expired = 0;
            try {
                expired = concert::sweep_lapsed_holds(db);
            } catch (...) {
                concert::forget_old_keys(db, kKeepKeysHours, 10000);
                throw;
            }
            concert::forget_old_keys(db, kKeepKeysHours, 10000);
            std::printf("{\"expired\":%lld}\n", static_cast<long long>(expired));
            return 0;
        }
        if (args.size() == 1 && args[0] == "check") {
            concert::CheckReport report = concert::check_invariants(db);
            std::printf("%s\n", report.json.c_str());
            return report.ok ? 0 : 1;
        }
        throw UsageError{};
    } catch (const UsageError&) {
        std::fputs(kUsage, stderr);
        return 2;
    } catch (const sql::SQLException& e) {
        return fail("database error " + std::to_string(e.getErrorCode()) + ": " + e.what());
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}
