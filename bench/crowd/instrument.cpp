#include "crowd/instrument.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "crowd/http.hpp"
#include "rules/queue.hpp"

namespace crowd {

namespace {

std::int64_t as_int(const redisReply* r) {
    if (r == nullptr) return 0;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return std::atoll(std::string(r->str, r->len).c_str());
    return 0;
}

}  // namespace

RoomProbe::RoomProbe(std::int64_t concert_id) : prefix_(concert::room_state_prefix(concert_id)) {
    const char* socket = std::getenv("CONCERT_REDIS_SOCKET");
    if (socket != nullptr && *socket != '\0') {
        ctx_ = redisConnectUnix(socket);
    } else {
        const char* host = std::getenv("CONCERT_REDIS_HOST");
        const char* port = std::getenv("CONCERT_REDIS_PORT");
        ctx_ = redisConnect(host ? host : "127.0.0.1", port ? std::atoi(port) : 16379);
    }
    if (ctx_ == nullptr || ctx_->err) throw std::runtime_error("crowd: cannot reach Redis for the instrument");
}

RoomProbe::~RoomProbe() {
    if (ctx_ != nullptr) redisFree(ctx_);
}

redisReply* RoomProbe::command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const std::string& a : args) {
        argv.push_back(a.c_str());
        lens.push_back(a.size());
    }
    return static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

RoomSample RoomProbe::sample() {
    RoomSample s;
    s.sent = now_seconds();
    const std::vector<std::vector<std::string>> reads = {
        {"MULTI"},
        {"GET", prefix_ + "called"},
        {"GET", prefix_ + "admitted_total"},
        {"HGETALL", prefix_ + "counts"},
        {"ZCARD", prefix_ + "active"},
        {"ZCARD", prefix_ + "calls"},
        {"EXEC"},
    };
    for (const auto& args : reads) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const std::string& a : args) {
            argv.push_back(a.c_str());
            lens.push_back(a.size());
        }
        redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
    }
    redisReply* exec = nullptr;
    for (std::size_t i = 0; i < reads.size(); ++i) {
        void* r = nullptr;
        if (redisGetReply(ctx_, &r) != REDIS_OK) throw std::runtime_error("crowd: Redis failed the instrument's read");
        if (i + 1 == reads.size()) {
            exec = static_cast<redisReply*>(r);
        } else {
            freeReplyObject(r);
        }
    }
    if (exec == nullptr || exec->type != REDIS_REPLY_ARRAY || exec->elements != 5) {
        if (exec) freeReplyObject(exec);
        throw std::runtime_error("crowd: bad EXEC reply");
    }
    const redisReply* called = exec->element[0];
    s.v3 = called->type == REDIS_REPLY_STRING;
    s.called = s.v3 ? as_int(called) : as_int(exec->element[1]);
    const redisReply* counts = exec->element[2];
    for (std::size_t i = 0; i + 1 < counts->elements; i += 2) {
        std::string name(counts->element[i]->str, counts->element[i]->len);
        std::int64_t v = as_int(counts->element[i + 1]);
        if (name == "calls") s.calls = v;
        if (name == "claims") s.claims = v;
        if (name == "lapses") s.lapses = v;
        if (name == "rejoins") s.rejoins = v;
    }
    s.slots = as_int(exec->element[3]) + as_int(exec->element[4]);
    freeReplyObject(exec);
    return s;
}

std::int64_t RoomProbe::used_memory() {
    redisReply* r = command({"INFO", "memory"});
    std::int64_t out = -1;
    if (r != nullptr && r->type == REDIS_REPLY_STRING) {
        std::string text(r->str, r->len);
        std::size_t at = text.find("used_memory:");
        if (at != std::string::npos) out = std::atoll(text.c_str() + at + 12);
    }
    if (r) freeReplyObject(r);
    return out;
}

CpuProbe::CpuProbe(std::vector<pid_t> roots, std::vector<std::string> pool_names)
    : roots_(std::move(roots)), pools_(std::move(pool_names)) {
    for (std::string& p : pools_) p = p.substr(0, 15);
    sample(now_seconds());
}

std::map<std::string, double> CpuProbe::sample(double now) {
    struct Proc {
        pid_t ppid;
        std::string comm;
        std::uint64_t ticks;
        std::string key;
    };
    std::unordered_map<pid_t, Proc> procs;
    DIR* dir = opendir("/proc");
    if (dir == nullptr) return {};
    char path[300];
    while (dirent* e = readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        std::ifstream in(path);
        std::string line;
        if (!std::getline(in, line)) continue;  // ended meanwhile
        std::size_t open = line.find('('), shut = line.rfind(')');
        if (open == std::string::npos || shut == std::string::npos) continue;
        std::istringstream rest(line.substr(shut + 2));
        std::string f[20];
        for (std::string& x : f) rest >> x;
        // after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... starttime (20th)
        pid_t pid = std::atoi(e->d_name);
        std::uint64_t ticks = std::strtoull(f[11].c_str(), nullptr, 10) + std::strtoull(f[12].c_str(), nullptr, 10);
        procs[pid] = Proc{static_cast<pid_t>(std::atoi(f[1].c_str())), line.substr(open + 1, shut - open - 1), ticks,
                          std::string(e->d_name) + ":" + f[19]};
    }
    closedir(dir);
    pid_t self = getpid();
    std::map<std::string, double> parts;
    std::map<std::string, std::uint64_t> seen;
    for (const auto& [pid, p] : procs) {
        std::string part;
        if (pid == self) {
            part = "crowd";
        } else {
            bool mine = false;
            pid_t q = pid;
            for (int depth = 0; depth < 64 && q > 1; ++depth) {
                bool root = false;
                for (pid_t r : roots_) root = root || r == q;
                if (root) {
                    mine = true;
                    break;
                }
                auto it = procs.find(q);
                if (it == procs.end()) break;
                q = it->second.ppid;
            }
            if (!mine) continue;
            const std::string& c = p.comm;
            part = c == "nginx" ? "nginx" : c == "mariadbd" ? "mariadb" : c == "redis-server" ? "redis"
                 : c.rfind("concert-keeper", 0) == 0 ? "keeper" : "other";
            for (const std::string& pool : pools_) {
                if (c == pool) part = "pool:" + pool;
            }
        }
        auto before = last_.find(p.key);
        std::uint64_t delta = p.ticks - (before == last_.end() ? 0 : before->second);
        if (last_at_ > 0) parts[part] += static_cast<double>(delta);
        seen[p.key] = p.ticks;
    }
    double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    double elapsed = now - last_at_;
    for (auto& [name, ticks] : parts) ticks = elapsed > 0 ? ticks / hz / elapsed : 0;
    last_ = std::move(seen);
    last_at_ = now;
    return parts;
}

}  // namespace crowd
