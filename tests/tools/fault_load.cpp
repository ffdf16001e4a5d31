// fault_load URL USERS_FILE CONCERT FIRST_DATE SECONDS OUT_FILE
//
// The steady mixed load of the fault-injection test: one thread per user in
// USERS_FILE, each looping token -> charge -> hold -> pay for SECONDS. Every
// charge and payment carries an Idempotency-Key and is retried with the same
// key on 5xx or no answer, until it gets a definitive answer — so the
// client's own record of what succeeded is exact, and can be reconciled with
// the database afterwards. Writes "userId charged paid unresolved" per user
// to OUT_FILE and prints one JSON line with every status counted.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
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

std::mutex g_mutex;
std::map<long, long> g_statuses;  // HTTP status (0: no answer) -> count
long g_slowest_ms = 0;

struct Reply {
    long status = 0;
    std::string body;
};

Reply call(CURL* curl, const std::string& url, const char* method, const std::string& body, const std::string& token,
           const std::string& key = "") {
    Reply r;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    if (!key.empty()) headers = curl_slist_append(headers, ("Idempotency-Key: " + key).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 15L);  // the client's timeout: no answer past it is a hang
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    auto start = Clock::now();
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    long ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    curl_slist_free_all(headers);
    std::lock_guard<std::mutex> lock(g_mutex);
    ++g_statuses[r.status];
    if (ms > g_slowest_ms) g_slowest_ms = ms;
    return r;
}

bool transient(long status) { return status == 0 || status >= 500; }

struct Outcome {
    long charged = 0;
    long paid = 0;
    long unresolved = 0;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: fault_load URL USERS_FILE CONCERT FIRST_DATE SECONDS OUT_FILE\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    std::string base = std::string(argv[1]) + "/api/v1";
    // One "userId userSecret" a line.
    std::vector<std::string> users, secrets;
    std::ifstream in(argv[2]);
    for (std::string line; std::getline(in, line);) {
        std::size_t space = line.find(' ');
        if (space == std::string::npos) continue;
        users.push_back(line.substr(0, space));
        secrets.push_back(line.substr(space + 1));
    }
    std::string concert = argv[3], first = argv[4];
    // Keys unique to this run: a later run by the same users must not replay this one's answers.
    std::string run = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch()).count());
    auto deadline = Clock::now() + std::chrono::seconds(std::atoi(argv[5]));
    auto give_up = deadline + std::chrono::seconds(60);  // settling what is in flight
    std::vector<Outcome> outcomes(users.size());
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < users.size(); ++t) {
        threads.emplace_back([&, t] {
            CURL* curl = curl_easy_init();
            const std::string& user = users[t];
            const std::string ask = "{\"userId\":\"" + user + "\",\"userSecret\":\"" + secrets[t] +
                                    "\",\"concertId\":" + concert + "}";
            Outcome& out = outcomes[t];
            std::string token;
            long seat = 0, round = 0;
            while (Clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a steady load, not a flood
                if (token.empty()) {
                    Reply r = call(curl, base + "/queue/token", "POST", ask, "");
                    token = r.status == 200 ? field(r.body, "token") : "";
                    if (token.empty()) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(200));
                        continue;
                    }
                }
                // A charge, retried with its key until it is settled either way.
                std::string key = user.substr(24) + "-" + run + "-c" + std::to_string(round++);
                for (;;) {
                    Reply r = call(curl, base + "/users/" + user + "/charge", "POST", "{\"amount\":1000}", token, key);
                    if (r.status == 200) {
                        out.charged += 1000;
                        break;
                    }
                    if (r.status == 401 || r.status == 403) {  // the place was lost (Redis restarted): a new token
                        Reply t2 = call(curl, base + "/queue/token", "POST", ask, "");
                        if (t2.status == 200) token = field(t2.body, "token");
                    } else if (!transient(r.status)) {
                        break;  // a definitive refusal: nothing charged
                    }
                    if (Clock::now() > give_up) {
                        ++out.unresolved;
                        break;
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                }
                // A hold on this thread's own next seat, then its payment.
                std::string date = add_days(first, static_cast<long>(t) + static_cast<long>(users.size()) * (seat / 50));
                std::string hold_body = "{\"concertId\":" + concert + ",\"date\":\"" + date +
                                        "\",\"seatNumber\":" + std::to_string(seat % 50 + 1) + "}";
                ++seat;
                Reply h = call(curl, base + "/reservations", "POST", hold_body, token);
                if (h.status == 401 || h.status == 403) token.clear();
                if (h.status != 201) continue;
                std::string reservation = field(h.body, "reservationId");
                long price = std::stol(field(h.body, "price"));
                std::string pay_key = user.substr(24) + "-" + run + "-p" + std::to_string(round);
                for (;;) {
                    Reply p = call(curl, base + "/payments", "POST", "{\"reservationId\":\"" + reservation + "\"}",
                                   token, pay_key);
                    if (p.status == 200) {
                        out.paid += price;
                        token.clear();  // paying ended the place in line
                        break;
                    }
                    if (!transient(p.status)) {
                        if (p.status == 401 || p.status == 403) token.clear();
                        break;  // 402, 400 expired, 403 ...: nothing paid
                    }
                    if (Clock::now() > give_up) {
                        ++out.unresolved;
                        break;
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                }
            }
            curl_easy_cleanup(curl);
        });
    }
    for (auto& th : threads) th.join();

    std::ofstream out(argv[6]);
    long unresolved = 0, requests = 0;
    for (std::size_t t = 0; t < users.size(); ++t) {
        out << users[t] << ' ' << outcomes[t].charged << ' ' << outcomes[t].paid << ' ' << outcomes[t].unresolved << '\n';
        unresolved += outcomes[t].unresolved;
    }
    std::string statuses;
    for (auto [status, n] : g_statuses) {
        statuses += (statuses.empty() ? "" : ",") + std::string("\"") + std::to_string(status) + "\":" + std::to_string(n);
        requests += n;
    }
    std::printf("{\"requests\":%ld,\"statuses\":{%s},\"unresolved\":%ld,\"slowestMs\":%ld}\n", requests,
                statuses.c_str(), unresolved, g_slowest_ms);
    curl_global_cleanup();
    return 0;
}
