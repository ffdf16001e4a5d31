// Each route's engine on its own, with no HTTP in front (issue 19): the very
// statements of a route against the same MariaDB, or its Redis script
// against the same Redis, from CONNECTIONS worker processes with one
// connection each, as a pool's workers have. `make bench` sets each route's
// figure beside its engine's.
//
//   engine sql-holds     --concert C --seat-count N --users FILE [--seats 50] [--first-date D]
//                        [--hold-seconds S] [--max-per-user M]
//                        hold_seat() (store/holds.hpp) on seats 0..N-1 of C, each once (seat n is
//                        number n % seats + 1 on D + n / seats days), for the user of line n % lines
//   engine sql-charge    --users FILE [--amount 100] [--one]
//                        charge_balance() (store/money.hpp), users reused (--one: only the first)
//   engine sql-payments  --pay FILE [--concert C]
//                        pay_order() (store/money.hpp), each line once: "token reservationId"
//                        (pay.cN.txt: the token gives payer, room and admission), or
//                        "userId reservationId" (holds.txt) with the holds' concert C
//   engine sql-seats     --concert C --dates N [--first-date D]
//                        free_seats() (store/catalog.hpp) across dates D .. D + N-1, reused
//   engine redis-status  --tokens FILE       queue_status() (store/queue.hpp), tokens reused
//   engine redis-token   --concert C --users FILE
//                        queue_issue() (store/queue.hpp), each user once (never had a ticket there)
//
// Common options: -c/--connections N (8), -d/--seconds S (5), --data DIR
// (relative files are read there; $BENCH_DATA by default), --first-date D
// ($BENCH_FIRST_DATE by default). FILE lines: the first word is a user id
// ("userId token" lines do), except --tokens and --pay, whose token is read
// (its payload, not its signature: these are the bench's own tokens).
// MariaDB and Redis from the handlers' own CONCERT_* variables
// (base/config.hpp).
//
// Prints one JSON line in the shape bench/run.sh judges (bench/lua/common.lua):
//   {"mode","connections","seconds","requests","expected","expect":[...],"statuses":{...},
//    "rps","rps_all","p50_ms","p99_ms","socket_errors":0,"data":{had,used,short} or {reused},
//    "problems":[...]}
// A status is the one the route would have answered for the outcome (201 a
// hold made, 409 a seat taken, 200 a charge, payment, seat list or status);
// a store that failed is 503 (Unavailable) or 500 (anything else), each
// also a problem. rps counts only expected outcomes; a latency is one whole
// operation (a transaction with its retries, or one script call). Data used
// once is split between workers without overlap and never reused: a worker
// whose share runs out stops and counts data.short. Exit 0 if the line has
// no problem, no unexpected status and no shortfall, else 1; 2 for bad usage.

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <cjson/cJSON.h>

#include "base/config.hpp"
#include "base/error.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "engine_stats.hpp"
#include "rules/catalog.hpp"
#include "rules/money.hpp"
#include "rules/queue.hpp"
#include "rules/token.hpp"
#include "store/catalog.hpp"
#include "store/db.hpp"
#include "store/holds.hpp"
#include "store/money.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"
#include "store/settings.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxStatus = 600;
constexpr int kMaxProblems = 8;        // distinct messages kept per worker
constexpr std::size_t kProblemChars = 200;
// Latencies kept per worker (4 MiB, touched only as used): a minute at
// 17k operations a second, more than one connection does here; past it the
// counts go on and the percentiles are those of the first 2^20.
constexpr std::size_t kMaxSamples = 1 << 20;

// What one worker reports, in memory shared with the parent (mapped before
// fork): plain words and bytes only.
struct Report {
    std::uint64_t requests;
    std::uint64_t statuses[kMaxStatus];
    std::uint64_t had, used, short_of_data;
    std::uint64_t samples;  // latencies written below (<= kMaxSamples)
    std::uint64_t problem_counts[kMaxProblems];
    char problems[kMaxProblems][kProblemChars];
    std::int64_t ended_ns;  // steady clock when the worker stopped
    std::uint32_t micros[kMaxSamples];
};

struct Options {
    std::string mode;
    int connections = 8;
    int seconds = 5;
    std::string data_dir;
    std::string first_date;
    std::string users, tokens, pay;
    std::int64_t concert = 0, seat_count = 0, seats = 50, dates = 0, amount = 100;
    std::optional<std::int64_t> hold_seconds, max_per_user;
    bool one = false;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "engine: %s\n"
                 "usage: engine sql-holds|sql-charge|sql-payments|sql-seats|redis-status|redis-token\n"
                 "         [-c N] [-d SECONDS] [--data DIR] [--first-date D] [mode's options]\n"
                 "       (see the top of bench/engine.cpp)\n",
                 why.c_str());
    std::exit(2);
}

std::int64_t number(const std::string& name, const std::string& text, std::int64_t min) {
    std::optional<std::int64_t> n = concert::parse_decimal(text);
    if (!n || *n < min) usage(name + " must be an integer of at least " + std::to_string(min) + ", got '" + text + "'");
    return *n;
}

Options parse_options(int argc, char** argv) {
    if (argc < 2) usage("no mode");
    Options o;
    o.mode = argv[1];
    if (const char* d = std::getenv("BENCH_DATA")) o.data_dir = d;
    if (const char* d = std::getenv("BENCH_FIRST_DATE")) o.first_date = d;
    for (int i = 2; i < argc; ++i) {
        std::string name = argv[i];
        if (name == "--one") {
            o.one = true;
            continue;
        }
        if (i + 1 >= argc) usage(name + " needs a value");
        std::string v = argv[++i];
        if (name == "-c" || name == "--connections") o.connections = static_cast<int>(number(name, v, 1));
        else if (name == "-d" || name == "--seconds") o.seconds = static_cast<int>(number(name, v, 1));
        else if (name == "--data") o.data_dir = v;
        else if (name == "--first-date") o.first_date = v;
        else if (name == "--users") o.users = v;
        else if (name == "--tokens") o.tokens = v;
        else if (name == "--pay") o.pay = v;
        else if (name == "--concert") o.concert = number(name, v, 1);
        else if (name == "--seat-count") o.seat_count = number(name, v, 1);
        else if (name == "--seats") o.seats = number(name, v, 1);
        else if (name == "--dates") o.dates = number(name, v, 1);
        else if (name == "--amount") o.amount = number(name, v, 1);
        else if (name == "--hold-seconds") o.hold_seconds = number(name, v, 1);
        else if (name == "--max-per-user") o.max_per_user = number(name, v, 1);
        else usage("unknown option " + name);
    }
    if (o.connections > 256) usage("at most 256 connections");
    auto need = [&](bool ok, const char* what) {
        if (!ok) usage(o.mode + " needs " + what);
    };
    const std::string& m = o.mode;
    if (m == "sql-holds") {
        need(o.concert > 0, "--concert");
        need(o.seat_count > 0, "--seat-count");
        need(!o.users.empty(), "--users");
    } else if (m == "sql-charge") {
        need(!o.users.empty(), "--users");
    } else if (m == "sql-payments") {
        need(!o.pay.empty(), "--pay");
    } else if (m == "sql-seats") {
        need(o.concert > 0, "--concert");
        need(o.dates > 0, "--dates");
    } else if (m == "redis-status") {
        need(!o.tokens.empty(), "--tokens");
    } else if (m == "redis-token") {
        need(o.concert > 0, "--concert");
        need(!o.users.empty(), "--users");
    } else {
        usage("unknown mode '" + m + "'");
    }
    if ((m == "sql-holds" || m == "sql-seats") && !engine::add_days(o.first_date, 0)) {
        usage(m + " needs --first-date YYYY-MM-DD (or BENCH_FIRST_DATE)");
    }
    return o;
}

// The non-empty lines of a data file (relative to the data directory).
std::vector<std::string> read_lines(const Options& o, const std::string& name) {
    std::string path = name.empty() || name[0] == '/' || o.data_dir.empty() ? name : o.data_dir + "/" + name;
    std::ifstream in(path);
    if (!in) usage("cannot read " + path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(line);
    }
    if (out.empty()) usage(path + " has no lines");
    return out;
}

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// The claims of one of the bench's own tokens, from its payload (the
// signature is the route's CPU, not its engine's, and these tokens were
// issued by the stack itself).
concert::TokenClaims read_token(const std::string& token) {
    std::size_t a = token.find('.'), b = token.rfind('.');
    if (a == std::string::npos || b == a) usage("not a token: " + token.substr(0, 40));
    std::optional<std::string> payload = concert::base64url_decode(std::string_view(token).substr(a + 1, b - a - 1));
    concert::JsonPtr json(payload ? cJSON_Parse(payload->c_str()) : nullptr);
    auto field = [&](const char* name) { return cJSON_GetObjectItemCaseSensitive(json.get(), name); };
    if (!json || !cJSON_IsString(field("sub")) || !cJSON_IsNumber(field("cid")) || !cJSON_IsNumber(field("tkt")) ||
        !cJSON_IsNumber(field("iat"))) {
        usage("not a queue token's payload: " + token.substr(0, 40));
    }
    return {field("sub")->valuestring, static_cast<std::int64_t>(field("cid")->valuedouble),
            static_cast<std::int64_t>(field("tkt")->valuedouble), static_cast<std::int64_t>(field("iat")->valuedouble),
            0};
}

// One mode: what it expects, its data, and one operation.
struct Mode {
    int expect = 200;
    bool once = false;        // items used once (had/used/short), else reused
    std::int64_t items = 0;   // once: how many in all; reused: how many to rotate over
    // Runs item n; returns the route's status for the outcome.
    std::function<int(concert::Db&, concert::Redis&, std::int64_t n)> run;
};

// Built in the parent before fork (files read once); the stores are
// opened by each worker after fork.
Mode make_mode(const Options& o, const concert::Config& config) {
    Mode mode;
    const std::string& m = o.mode;
    if (m == "sql-holds") {
        auto users = std::make_shared<std::vector<std::string>>();
        for (const std::string& line : read_lines(o, o.users)) users->push_back(words(line)[0]);
        std::int64_t hold_seconds = o.hold_seconds.value_or(0), max_per_user = o.max_per_user.value_or(0);
        if (!o.hold_seconds || !o.max_per_user) {
            // The handler's settings, read once before the run (the route
            // reads them from its per-second cache).
            concert::Redis redis(config);
            std::map<std::string, std::int64_t> settings = concert::load_settings(redis);
            hold_seconds = o.hold_seconds.value_or(settings.at("hold.seconds"));
            max_per_user = o.max_per_user.value_or(settings.at("hold.max_per_user"));
        }
        std::optional<concert::Date> first = concert::parse_date(o.first_date);
        if (!first) usage("--first-date is not a date");
        mode.expect = 201;
        mode.once = true;
        mode.items = o.seat_count;
        std::int64_t seats = o.seats, concert_id = o.concert;
        std::string first_date = o.first_date;
        mode.run = [=](concert::Db& db, concert::Redis&, std::int64_t n) {
            concert::HoldRequest hold{concert_id, *concert::parse_date(*engine::add_days(first_date, n / seats)),
                                      n % seats + 1};
            concert::hold_seat(db, hold, (*users)[static_cast<std::size_t>(n) % users->size()], hold_seconds,
                               max_per_user);
            return 201;
        };
    } else if (m == "sql-charge") {
        auto users = std::make_shared<std::vector<std::string>>();
        for (const std::string& line : read_lines(o, o.users)) users->push_back(words(line)[0]);
        if (o.one) users->resize(1);
        mode.items = static_cast<std::int64_t>(users->size());
        std::int64_t amount = o.amount;
        mode.run = [=](concert::Db& db, concert::Redis&, std::int64_t n) {
            const std::string& user = (*users)[static_cast<std::size_t>(n) % users->size()];
            concert::KeyedRequest keyed{user, std::nullopt, ""};
            concert::Account caller{user, true, {}};
            return concert::charge_balance(db, keyed, amount, caller).answer.status;
        };
    } else if (m == "sql-payments") {
        auto orders = std::make_shared<std::vector<concert::Order>>();
        for (const std::string& line : read_lines(o, o.pay)) {
            std::vector<std::string> w = words(line);
            if (w.size() < 2) usage("a --pay line is \"token reservationId\" or \"userId reservationId\"");
            if (w[0].find('.') == std::string::npos) {
                // "userId reservationId" (holds.txt): no token, so an admission
                // of ticket 0, which Redis never issues, one per line.
                if (o.concert == 0) usage("--pay with \"userId reservationId\" lines needs --concert");
                std::string admission = concert::admission_key(o.concert, 0, static_cast<std::int64_t>(orders->size()));
                orders->push_back({w[0], o.concert, admission, {w[1]}});
                continue;
            }
            concert::TokenClaims t = read_token(w[0]);
            orders->push_back({t.user_id, t.concert_id, concert::admission_key(t.concert_id, t.ticket, t.epoch), {w[1]}});
        }
        mode.once = true;
        mode.items = static_cast<std::int64_t>(orders->size());
        mode.run = [=](concert::Db& db, concert::Redis&, std::int64_t n) {
            const concert::Order& order = (*orders)[static_cast<std::size_t>(n)];
            concert::KeyedRequest keyed{order.user_id, std::nullopt, ""};
            return concert::pay_order(db, keyed, order, nullptr).written.answer.status;
        };
    } else if (m == "sql-seats") {
        auto dates = std::make_shared<std::vector<std::string>>();
        for (std::int64_t k = 0; k < o.dates; ++k) dates->push_back(*engine::add_days(o.first_date, k));
        mode.items = o.dates;
        std::int64_t concert_id = o.concert;
        mode.run = [=](concert::Db& db, concert::Redis&, std::int64_t n) {
            concert::DateSeats found =
                concert::free_seats(db, concert_id, (*dates)[static_cast<std::size_t>(n) % dates->size()]);
            return found.past ? 400 : 200;
        };
    } else if (m == "redis-status") {
        auto tickets = std::make_shared<std::vector<concert::Ticket>>();
        for (const std::string& line : read_lines(o, o.tokens)) {
            std::vector<std::string> w = words(line);
            concert::TokenClaims t = read_token(w.size() > 1 ? w[1] : w[0]);
            tickets->push_back({t.concert_id, t.ticket, t.user_id});
        }
        mode.items = static_cast<std::int64_t>(tickets->size());
        mode.run = [=](concert::Db&, concert::Redis& redis, std::int64_t n) {
            concert::queue_status(redis, (*tickets)[static_cast<std::size_t>(n) % tickets->size()]);
            return 200;  // EXPIRED included: the route answers it with 200 too
        };
    } else {  // redis-token
        auto users = std::make_shared<std::vector<std::string>>();
        for (const std::string& line : read_lines(o, o.users)) users->push_back(words(line)[0]);
        mode.once = true;
        mode.items = static_cast<std::int64_t>(users->size());
        std::int64_t concert_id = o.concert;
        mode.run = [=](concert::Db&, concert::Redis& redis, std::int64_t n) {
            concert::queue_issue(redis, concert_id, (*users)[static_cast<std::size_t>(n)]);
            return 200;
        };
    }
    return mode;
}

void add_problem(Report& r, const std::string& text) {
    for (int i = 0; i < kMaxProblems; ++i) {
        if (r.problem_counts[i] == 0) {
            std::snprintf(r.problems[i], kProblemChars, "%s", text.c_str());
            r.problem_counts[i] = 1;
            return;
        }
        if (text.compare(0, kProblemChars - 1, r.problems[i]) == 0) {
            ++r.problem_counts[i];
            return;
        }
    }
    ++r.problem_counts[kMaxProblems - 1];  // past the distinct ones kept: counted with the last
}

std::int64_t ns_of(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// One worker process: one connection to each store, operations back to back
// until the deadline or until its share of once-used data runs out.
void work(const Mode& mode, const concert::Config& config, int worker, int workers, Clock::time_point deadline,
          Report& r) {
    concert::Db db(config);
    concert::Redis redis(config);
    if (mode.once) r.had = static_cast<std::uint64_t>(engine::share(mode.items, worker, workers));
    // Reused data: each worker starts at a place of its own, as the wrk scenarios do.
    std::int64_t start = mode.once ? 0 : static_cast<std::int64_t>(worker) * 7919;
    for (std::int64_t i = 0; Clock::now() < deadline; ++i) {
        std::int64_t n = start + i;
        if (mode.once) {
            std::optional<std::int64_t> item = engine::nth_item(mode.items, worker, workers, i);
            if (!item) {
                ++r.short_of_data;
                break;
            }
            n = *item;
            ++r.used;
        }
        int status;
        Clock::time_point t0 = Clock::now();
        // As the runtime does around every request (shared/runtime/dispatch.cpp).
        db.begin_request();
        redis.begin_request();
        try {
            status = mode.run(db, redis, n);
        } catch (const concert::HttpError& e) {
            status = e.status;  // the route's refusal, as it would answer it
        } catch (const concert::Unavailable& e) {
            status = 503;
            add_problem(r, std::string("503: ") + e.what());
        } catch (const std::exception& e) {
            status = 500;
            add_problem(r, std::string("500: ") + e.what());
        }
        db.end_request();
        redis.end_request();
        auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        ++r.requests;
        ++r.statuses[status > 0 && status < kMaxStatus ? status : 0];
        if (r.samples < kMaxSamples) r.micros[r.samples++] = static_cast<std::uint32_t>(took);
    }
    r.ended_ns = ns_of(Clock::now());
}

std::string json_string(const std::string& s) {
    concert::JsonPtr v(cJSON_CreateString(s.c_str()));
    return concert::to_text(v.get());
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // hiredis writes to a dead socket otherwise kill us
    Options o = parse_options(argc, argv);
    concert::Config config;
    try {
        config = concert::config_from_env();
    } catch (const concert::ConfigError& e) {
        usage(e.what());
    }
    Mode mode;
    try {
        mode = make_mode(o, config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engine: %s: %s\n", o.mode.c_str(), e.what());
        return 2;
    }

    std::size_t bytes = sizeof(Report) * static_cast<std::size_t>(o.connections);
    void* shared = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        std::perror("engine: mmap");
        return 2;
    }
    Report* reports = static_cast<Report*>(shared);
    std::fflush(stdout);
    std::fflush(stderr);
    Clock::time_point started = Clock::now();
    Clock::time_point deadline = started + std::chrono::seconds(o.seconds);
    std::vector<pid_t> pids;
    for (int w = 0; w < o.connections; ++w) {
        pid_t pid = fork();
        if (pid < 0) {
            std::perror("engine: fork");
            for (pid_t p : pids) kill(p, SIGTERM);
            return 2;
        }
        if (pid == 0) {
            work(mode, config, w, o.connections, deadline, reports[w]);
            std::fflush(stderr);
            _exit(0);
        }
        pids.push_back(pid);
    }
    std::vector<std::string> problems;
    for (std::size_t w = 0; w < pids.size(); ++w) {
        int status = 0;
        waitpid(pids[w], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            problems.push_back("worker " + std::to_string(w) + " died (wait status " + std::to_string(status) + ")");
        }
    }

    // Merge.
    std::uint64_t requests = 0, had = 0, used = 0, short_of_data = 0, expected = 0;
    std::map<int, std::uint64_t> statuses;
    std::map<std::string, std::uint64_t> problem_counts;
    std::vector<std::uint32_t> micros;
    std::int64_t ended = ns_of(started);
    for (int w = 0; w < o.connections; ++w) {
        const Report& r = reports[w];
        requests += r.requests;
        had += r.had;
        used += r.used;
        short_of_data += r.short_of_data;
        for (int s = 0; s < kMaxStatus; ++s) {
            if (r.statuses[s] > 0) statuses[s] += r.statuses[s];
        }
        for (int p = 0; p < kMaxProblems; ++p) {
            if (r.problem_counts[p] > 0) problem_counts[r.problems[p]] += r.problem_counts[p];
        }
        micros.insert(micros.end(), r.micros, r.micros + r.samples);
        ended = std::max(ended, r.ended_ns);
    }
    munmap(shared, bytes);
    // The engine's own CPU (its workers, all waited for): what the route's
    // handler, nginx and the load generator would be, next to the stores'.
    rusage children{};
    getrusage(RUSAGE_CHILDREN, &children);
    double client_micros = static_cast<double>(children.ru_utime.tv_sec + children.ru_stime.tv_sec) * 1e6 +
                           static_cast<double>(children.ru_utime.tv_usec + children.ru_stime.tv_usec);
    for (const auto& [text, n] : problem_counts) problems.push_back(std::to_string(n) + " x " + text);
    double seconds = static_cast<double>(ended - ns_of(started)) / 1e9;
    if (seconds <= 0) seconds = 1e-9;

    std::string status_json;
    for (const auto& [s, n] : statuses) {
        status_json += (status_json.empty() ? "\"" : ",\"") + std::to_string(s) + "\":" + std::to_string(n);
        if (s == mode.expect) expected += n;
    }
    std::string data_json = mode.once ? "{\"had\":" + std::to_string(had) + ",\"used\":" + std::to_string(used) +
                                            ",\"short\":" + std::to_string(short_of_data) + "}"
                                      : "{\"reused\":" + std::to_string(mode.items) + "}";
    std::string problems_json;
    for (const std::string& p : problems) problems_json += (problems_json.empty() ? "" : ",") + json_string(p);
    std::printf("{\"mode\":\"%s\",\"connections\":%d,\"seconds\":%.3f,\"requests\":%llu,\"expected\":%llu,"
                "\"expect\":[%d],\"statuses\":{%s},\"rps\":%.1f,\"rps_all\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"socket_errors\":0,\"client_cpu_us\":%.0f,\"data\":%s,\"problems\":[%s]}\n",
                o.mode.c_str(), o.connections, seconds, static_cast<unsigned long long>(requests),
                static_cast<unsigned long long>(expected), mode.expect, status_json.c_str(),
                static_cast<double>(expected) / seconds, static_cast<double>(requests) / seconds,
                engine::percentile_ms(micros, 50), engine::percentile_ms(micros, 99),
                requests > 0 ? client_micros / static_cast<double>(requests) : 0.0, data_json.c_str(),
                problems_json.c_str());
    bool clean = problems.empty() && short_of_data == 0 && expected == requests && expected > 0;
    return clean ? 0 : 1;
}
