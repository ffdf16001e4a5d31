// The benchmark's own load client, for what wrk cannot express: preparing
// tokens, the opening-day race (N requests at once, time until the last
// answer), and whole purchase journeys.
//
//   load tokens  URL USERS_FILE OUT_FILE THREADS CONCERT  user id lines -> "userId token" lines (that room)
//   load race    URL TOKENS_FILE CONCERT DATE N           N holds at once on seats 1..50 of DATE
//   load journey URL CONCERT FIRST_DATE FIRST_DAY DAYS SECONDS THREADS
//                                                         sign-up -> token -> seats -> hold -> charge -> pay,
//                                                         on the dates FIRST_DATE + FIRST_DAY .. + DAYS-1
//
// race and journey print one JSON line in the shape of the wrk scenarios'
// (bench/lua/common.lua): "rps" (expected answers per second), "p50_ms",
// "p99_ms", "expect", "statuses", "socket_errors" (transport errors: no HTTP
// status at all), "data" {had, used, short} and "problems" (what else makes
// the run FAIL); bench/run.sh judges it. They exit 1 when the run is not
// what they expect: race unless exactly 50 holds were created and every
// other answer was 409, journey if any step of any purchase failed or the
// dates ran out.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "tool_util.hpp"

namespace {

using tool::add_days;
using tool::collect;
using tool::field;

using Clock = std::chrono::steady_clock;

struct Reply {
    long status = 0;  // 0: no HTTP answer (connect, send or receive failed, or timed out)
    std::string body;
    double ms = 0;  // from the first byte sent to the last received
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
        auto start = Clock::now();
        if (curl_easy_perform(curl_) == CURLE_OK) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
        r.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
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

// The p-th percentile (nearest rank) of latencies in ms, as "%.3f".
std::string percentile(std::vector<double> ms, double p) {
    if (ms.empty()) return "0.000";
    std::sort(ms.begin(), ms.end());
    std::size_t i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(ms.size() - 1) + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", ms[i]);
    return buf;
}

// {"201":50,"409":1950}: counts by key, keys as given.
std::string json_counts(const std::map<std::string, long>& counts) {
    std::string out;
    for (const auto& [key, n] : counts) out += (out.empty() ? "\"" : ",\"") + key + "\":" + std::to_string(n);
    return "{" + out + "}";
}

// ["a","b"]: the items need no escaping (ours are plain words).
std::string json_strings(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "\"" : ",\"") + s + "\"";
    return "[" + out + "]";
}

// Every request on its own connection, all started at once with curl multi.
// Expected: 201 for exactly 50 of them (one per seat), 409 for the rest.
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
    long created = 0, conflicts = 0, other = 0, transport = 0;
    std::map<std::string, long> statuses;
    std::vector<double> ms;
    CURLMsg* msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)) != nullptr) {
        long status = 0;
        curl_off_t us = 0;
        if (msg->data.result == CURLE_OK) curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
        ms.push_back(static_cast<double>(us) / 1000.0);
        if (status == 201) ++created;
        else if (status == 409) ++conflicts;
        else ++other;
        if (status == 0) ++transport;
        else ++statuses[std::to_string(status)];
        curl_multi_remove_handle(multi, msg->easy_handle);
        curl_easy_cleanup(msg->easy_handle);
    }
    for (curl_slist* h : headers) curl_slist_free_all(h);
    curl_multi_cleanup(multi);
    std::vector<std::string> problems;
    if (created != 50) problems.push_back(std::to_string(created) + " holds created on 50 seats, not 50");
    std::printf("{\"requests\":%zu,\"created\":%ld,\"conflicts\":%ld,\"other\":%ld,\"seconds\":%.3f,"
                "\"rps\":%.1f,\"p50_ms\":%s,\"p99_ms\":%s,\"expected\":%ld,\"expect\":[201,409],\"statuses\":%s,"
                "\"socket_errors\":%ld,\"data\":{\"had\":%zu,\"used\":%zu,\"short\":0},\"problems\":%s}\n",
                n, created, conflicts, other, seconds, static_cast<double>(created + conflicts) / seconds,
                percentile(ms, 50).c_str(), percentile(ms, 99).c_str(), created + conflicts,
                json_counts(statuses).c_str(), transport, pairs.size(), n, json_strings(problems).c_str());
    return created == 50 && other == 0 ? 0 : 1;
}

// The journey's steps and the status each must answer.
struct Step {
    const char* name;
    long expect;
};
constexpr Step kSteps[] = {{"signup", 201}, {"token", 200}, {"seats", 200}, {"hold", 201}, {"charge", 200}, {"pay", 200}};

// THREADS clients, each buying one seat after another until SECONDS have
// passed. Thread t walks its own dates (FIRST_DAY + t, + t + THREADS, ...
// below FIRST_DAY + DAYS), 50 seats each, so no two purchases want the same
// seat; when its dates run out it stops and the run counts as run dry. A
// purchase stops at its first unexpected answer.
int journey(char** a) {
    std::string url = a[0], concert = a[1], first = a[2];
    long first_day = std::atol(a[3]), days = std::atol(a[4]);
    double seconds = std::atof(a[5]);
    int threads = std::atoi(a[6]);
    std::atomic<long> flows{0}, failures{0}, used{0}, short_of_seats{0};
    std::mutex merge;
    std::map<std::string, long> statuses;
    std::vector<double> ms;
    long transport = 0, good = 0;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> pool;
    auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            Client c(url);
            std::map<std::string, long> my_statuses;
            std::vector<double> my_ms;
            long my_transport = 0, my_good = 0;
            long seats = days > t ? 50 * ((days - t + threads - 1) / threads) : 0;
            for (long k = 0; Clock::now() < deadline; ++k) {
                if (k >= seats) {
                    ++short_of_seats;
                    break;
                }
                ++used;
                std::string date = add_days(first, first_day + t + threads * (k / 50));
                std::string user, secret, token, reservation, price;
                Reply r;
                bool ok = true;
                // Step i of kSteps; on any other answer the purchase ends (ok = false).
                auto call = [&](int i, const char* method, const std::string& path, const std::string& body,
                                const std::string& bearer) {
                    r = c.call(method, path, body, bearer);
                    my_ms.push_back(r.ms);
                    if (r.status == 0) ++my_transport;
                    else ++my_statuses[std::string(kSteps[i].name) + " " + std::to_string(r.status)];
                    ok = r.status == kSteps[i].expect;
                    if (ok) ++my_good;
                    return ok;
                };
                if (call(0, "POST", "/api/v1/users", "{\"name\":\"journey\"}", "")) {
                    user = field(r.body, "userId");
                    secret = field(r.body, "userSecret");
                }
                if (ok && call(1, "POST", "/api/v1/queue/token", token_request(user, secret, concert), ""))
                    token = field(r.body, "token");
                if (ok) call(2, "GET", "/api/v1/concerts/" + concert + "/available-seats?date=" + date, "", token);
                if (ok && call(3, "POST", "/api/v1/reservations", hold_body(concert, date, k % 50 + 1), token)) {
                    reservation = field(r.body, "reservationId");
                    price = field(r.body, "price");
                }
                if (ok) call(4, "POST", "/api/v1/users/" + user + "/charge", "{\"amount\":" + price + "}", token);
                if (ok) call(5, "POST", "/api/v1/payments", "{\"reservationId\":\"" + reservation + "\"}", token);
                (ok ? flows : failures)++;
            }
            std::lock_guard<std::mutex> lock(merge);
            for (const auto& [key, n] : my_statuses) statuses[key] += n;
            ms.insert(ms.end(), my_ms.begin(), my_ms.end());
            transport += my_transport;
            good += my_good;
        });
    }
    for (auto& th : pool) th.join();
    double took = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<std::string> expect, problems;
    for (const Step& s : kSteps) expect.push_back(std::string(s.name) + " " + std::to_string(s.expect));
    if (failures.load() > 0) problems.push_back(std::to_string(failures.load()) + " purchases failed");
    std::printf("{\"flows\":%ld,\"failures\":%ld,\"seconds\":%.2f,\"flowsPerSecond\":%.1f,\"requests\":%zu,"
                "\"rps\":%.1f,\"p50_ms\":%s,\"p99_ms\":%s,\"expected\":%ld,\"expect\":%s,\"statuses\":%s,"
                "\"socket_errors\":%ld,\"data\":{\"had\":%ld,\"used\":%ld,\"short\":%ld},\"problems\":%s}\n",
                flows.load(), failures.load(), took, static_cast<double>(flows.load()) / took, ms.size(),
                static_cast<double>(good) / took, percentile(ms, 50).c_str(), percentile(ms, 99).c_str(), good,
                json_strings(expect).c_str(), json_counts(statuses).c_str(), transport, 50 * days, used.load(),
                short_of_seats.load(), json_strings(problems).c_str());
    return failures.load() == 0 && short_of_seats.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    curl_global_init(CURL_GLOBAL_ALL);
    std::string mode = argc > 1 ? argv[1] : "";
    int rc = 2;
    if (mode == "tokens" && argc == 7) rc = tokens(argv + 2);
    else if (mode == "race" && argc == 7) rc = race(argv + 2);
    else if (mode == "journey" && argc == 9) rc = journey(argv + 2);
    else std::fprintf(stderr, "usage: see the comment at the top of bench/load.cpp\n");
    curl_global_cleanup();
    return rc;
}
