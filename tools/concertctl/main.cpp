// concertctl — the operator command.
//
//   concertctl settings get              print every runtime setting
//   concertctl settings set KEY VALUE    change one setting (all processes see it)
//   concertctl queue stats               issued, admitted, waiting, active, admittedLastMinute
//   concertctl concert add --name NAME --dates D1,D2,... [--seats 50] [--price 100000]
//   concertctl user reset-secret --user ID   a new secret for the user; the old one stops working
//   concertctl sweep                     mark lapsed holds EXPIRED, free their seats
//   concertctl check                     verify the invariants; exit 1 on any violation
//
// With no environment it talks to the stack `make run` started (see
// shared/base/config.hpp for the CONCERT_* variables). Prints JSON on stdout;
// on failure prints {"error": "..."} on stderr and exits non-zero.

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "base/config.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"
#include "rules/users.hpp"
#include "check.hpp"
#include "concert_add.hpp"
#include "store/db.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"
#include "store/settings.hpp"
#include "sweep.hpp"

namespace {

constexpr const char* kUsage =
    "usage: concertctl settings get\n"
    "       concertctl settings set KEY VALUE\n"
    "       concertctl queue stats\n"
    "       concertctl concert add --name NAME --dates D1,D2,... [--seats 50] [--price 100000]\n"
    "       concertctl user reset-secret --user ID\n"
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

void print_settings(concert::Redis& redis) {
    concert::JsonPtr out = concert::new_object();
    for (const auto& [name, value] : concert::load_settings(redis)) {
        concert::add_int(out.get(), name.c_str(), value);
    }
    std::printf("%s\n", concert::to_text(out.get()).c_str());
}

int settings_command(const std::vector<std::string>& args, concert::Redis& redis) {
    if (args.size() == 2 && args[1] == "get") {
        print_settings(redis);
        return 0;
    }
    if (args.size() == 4 && args[1] == "set") {
        concert::store_setting(redis, args[2], args[3]);
        print_settings(redis);
        return 0;
    }
    throw UsageError{};
}

int queue_command(const std::vector<std::string>& args, concert::Redis& redis) {
    if (args.size() != 2 || args[1] != "stats") throw UsageError{};
    concert::QueueStats stats = concert::queue_stats(redis);
    concert::JsonPtr out = concert::new_object();
    concert::add_int(out.get(), "issued", stats.issued);
    concert::add_int(out.get(), "admitted", stats.admitted);
    concert::add_int(out.get(), "waiting", stats.waiting);
    concert::add_int(out.get(), "active", stats.active);
    concert::add_int(out.get(), "admittedLastMinute", stats.admitted_last_minute);
    std::printf("%s\n", concert::to_text(out.get()).c_str());
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
        if (!args.empty() && args[0] == "settings") return settings_command(args, redis);
        if (!args.empty() && args[0] == "queue") return queue_command(args, redis);
        if (!args.empty() && args[0] == "concert") return concert_command(args, db);
        if (!args.empty() && args[0] == "user") return user_command(args, db, redis);
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
