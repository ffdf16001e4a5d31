// The benchmark's own load client, for what wrk cannot express: preparing
// tokens and holds, the opening-day race (N requests at once, time until the
// last answer), and whole purchase journeys.
//
//   load tokens  URL USERS_FILE OUT_FILE THREADS CONCERT  user id lines -> "userId token" lines (that room)
//   load holds   URL TOKENS_FILE CONCERT FIRST_DATE SEATS OUT_FILE THREADS
//                                                         "userId token" -> "token reservationId"
//                                                         (line i holds seat i%SEATS+1 on FIRST_DATE + i/SEATS days)
//   load race    URL TOKENS_FILE CONCERT DATE N           N holds at once on seats 1..50 of DATE
//   load journey URL CONCERT FIRST_DATE SECONDS THREADS   sign-up -> token -> seats -> hold -> charge -> pay
//
// race and journey print one JSON line; race exits 1 unless exactly 50 holds
// were created.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "../tests/tools/tool_util.hpp"

namespace {

using tool::add_days;
using tool::collect;
using tool::field;

using Clock = std::chrono::steady_clock;

struct Reply {
    long status = 0;
    std::string body;
};

// One keep-alive connection per thread, as a browser or app would have.
class Client {
public:
    explicit Client(std::string base) : base_(std::move(base)), curl_(curl_easy_init()) {}
    ~Client() { curl_easy_cleanup(curl_); }
    Reply call(const char* method, const std::string& path, const std::string& body, const std::string& token = "") {
        Reply r;
        curl_slist* headers = nullptr;
        headers = curl_slist_append(headers, "Content-Type: application/json");
        if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
        std::string url = base_ + path;
        curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 30L);
        if (std::string(method) == "GET") {
            curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
            curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        }
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
        if (curl_easy_perform(curl_) == CURLE_OK) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
        curl_slist_free_all(headers);
        return r;
    }

private:
    std::string base_;
    CURL* curl_;
};

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

// The secret bench/run.sh gave a user it made in the database.
std::string bench_secret(const std::string& user) {
    std::string hex;
    for (char c : user) {
        if (c != '-') hex += c;
    }
    return "us_" + hex + "AAAAAAAAAAA";
}

std::string token_request(const std::string& user, const std::string& secret, const std::string& concert) {
    return "{\"userId\":\"" + user + "\",\"userSecret\":\"" + secret + "\",\"concertId\":" + concert + "}";
}

std::string hold_body(const std::string& concert, const std::string& date, long seat) {
    return "{\"concertId\":" + concert + ",\"date\":\"" + date + "\",\"seatNumber\":" + std::to_string(seat) + "}";
}

// Runs fn(line index, client) over lines split among threads; collects
// the non-empty results in order.
template <class Fn>
std::vector<std::string> parallel(const std::string& url, std::size_t count, int threads, Fn fn) {
    std::vector<std::string> out(count);
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            Client client(url);
            for (std::size_t i = next++; i < count; i = next++) out[i] = fn(i, client);
        });
    }
    for (auto& th : pool) th.join();
    return out;
}

int write_lines(const std::string& path, const std::vector<std::string>& lines) {
    std::ofstream out(path);
    int written = 0;
    for (const auto& l : lines) {
        if (l.empty()) continue;
        out << l << '\n';
        ++written;
    }
    std::fprintf(stderr, "load: wrote %d of %zu lines to %s\n", written, lines.size(), path.c_str());
    return written == static_cast<int>(lines.size()) ? 0 : 1;
}

int tokens(char** a) {
    std::vector<std::string> users = read_lines(a[1]);
    auto out = parallel(a[0], users.size(), std::atoi(a[3]), [&](std::size_t i, Client& c) {
        Reply r = c.call("POST", "/api/v1/queue/token", token_request(users[i], bench_secret(users[i]), a[4]));
        return r.status == 200 ? users[i] + " " + field(r.body, "token") : std::string();
    });
    return write_lines(a[2], out);
}

int holds(char** a) {
    std::vector<std::string> pairs = read_lines(a[1]);
    std::string concert = a[2], first = a[3];
    long seats = std::atol(a[4]);
    auto out = parallel(a[0], pairs.size(), std::atoi(a[6]), [&](std::size_t i, Client& c) {
        std::string token = pairs[i].substr(pairs[i].find(' ') + 1);
        long n = static_cast<long>(i);
        Reply r = c.call("POST", "/api/v1/reservations", hold_body(concert, add_days(first, n / seats), n % seats + 1), token);
        return r.status == 201 ? token + " " + field(r.body, "reservationId") : std::string();
    });
    return write_lines(a[5], out);
}

// Every request on its own connection, all started at once with curl multi.
int race(char** a) {
    std::vector<std::string> pairs = read_lines(a[1]);
    std::string concert = a[2], date = a[3];
    std::size_t n = static_cast<std::size_t>(std::atol(a[4]));
    if (pairs.size() < n) {
        std::fprintf(stderr, "load race: need %zu tokens, have %zu\n", n, pairs.size());
        return 2;
    }
    CURLM* multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    std::vector<std::string> bodies(n), urls(n, std::string(a[0]) + "/api/v1/reservations");
    std::vector<curl_slist*> headers(n, nullptr);
    std::vector<std::string> sink(n);
    for (std::size_t i = 0; i < n; ++i) {
        CURL* e = curl_easy_init();
        std::string token = pairs[i].substr(pairs[i].find(' ') + 1);
        bodies[i] = hold_body(concert, date, static_cast<long>(i % 50) + 1);
        headers[i] = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
        headers[i] = curl_slist_append(headers[i], "Content-Type: application/json");
        curl_easy_setopt(e, CURLOPT_URL, urls[i].c_str());
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, bodies[i].c_str());
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers[i]);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink[i]);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        curl_multi_add_handle(multi, e);
    }
    auto start = Clock::now();
    int running = 1;
    while (running > 0) {
        curl_multi_perform(multi, &running);
        if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    long created = 0, conflicts = 0, other = 0;
    CURLMsg* msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)) != nullptr) {
        long status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        if (status == 201) ++created;
        else if (status == 409) ++conflicts;
        else ++other;
        curl_multi_remove_handle(multi, msg->easy_handle);
        curl_easy_cleanup(msg->easy_handle);
    }
    for (curl_slist* h : headers) curl_slist_free_all(h);
    curl_multi_cleanup(multi);
    std::printf("{\"requests\":%zu,\"created\":%ld,\"conflicts\":%ld,\"other\":%ld,\"seconds\":%.3f}\n", n, created,
                conflicts, other, seconds);
    return created == 50 ? 0 : 1;
}

int journey(char** a) {
    std::string url = a[0], concert = a[1], first = a[2];
    double seconds = std::atof(a[3]);
    int threads = std::atoi(a[4]);
    std::atomic<long> flows{0}, failures{0};
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> pool;
    auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            Client c(url);
            long k = 0;
            while (Clock::now() < deadline) {
                // Each thread walks its own dates, one seat after another: no contention.
                long seat_index = k++;
                std::string date = add_days(first, t + threads * (seat_index / 50));
                Reply r = c.call("POST", "/api/v1/users", "{\"name\":\"journey\"}");
                std::string user = field(r.body, "userId");
                r = c.call("POST", "/api/v1/queue/token", token_request(user, field(r.body, "userSecret"), concert));
                std::string token = field(r.body, "token");
                r = c.call("GET", "/api/v1/concerts/" + concert + "/available-seats?date=" + date, "", token);
                bool ok = r.status == 200;
                r = c.call("POST", "/api/v1/reservations", hold_body(concert, date, seat_index % 50 + 1), token);
                std::string reservation = field(r.body, "reservationId");
                std::string price = field(r.body, "price");
                ok = ok && r.status == 201;
                r = c.call("POST", "/api/v1/users/" + user + "/charge", "{\"amount\":" + price + "}", token);
                ok = ok && r.status == 200;
                r = c.call("POST", "/api/v1/payments", "{\"reservationId\":\"" + reservation + "\"}", token);
                ok = ok && r.status == 200;
                (ok ? flows : failures)++;
            }
        });
    }
    for (auto& th : pool) th.join();
    double took = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("{\"flows\":%ld,\"failures\":%ld,\"seconds\":%.2f,\"flowsPerSecond\":%.1f}\n", flows.load(),
                failures.load(), took, static_cast<double>(flows.load()) / took);
    return failures.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    curl_global_init(CURL_GLOBAL_ALL);
    std::string mode = argc > 1 ? argv[1] : "";
    int rc = 2;
    if (mode == "tokens" && argc == 7) rc = tokens(argv + 2);
    else if (mode == "holds" && argc == 9) rc = holds(argv + 2);
    else if (mode == "race" && argc == 7) rc = race(argv + 2);
    else if (mode == "journey" && argc == 7) rc = journey(argv + 2);
    else std::fprintf(stderr, "usage: see the comment at the top of bench/load.cpp\n");
    curl_global_cleanup();
    return rc;
}
