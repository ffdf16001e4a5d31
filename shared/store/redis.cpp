#include "store/redis.hpp"

#include <cerrno>
#include <cstdlib>
#include <sys/time.h>

#include "base/crypto.hpp"
#include "base/error.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "base/text.hpp"

namespace concert {

namespace {

Unavailable unavailable() {
    metrics::redis_error();
    return Unavailable("Redis unavailable");
}

}  // namespace

Script::Script(std::string lua) : source(std::move(lua)), sha1(hex_encode(concert::sha1(source))) {}

Redis::~Redis() { drop(); }

ReplyPtr Redis::eval(const Script& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args) {
    std::vector<std::string> argv{"EVALSHA", script.sha1, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    try {
        return command(argv);
    } catch (const RedisReplyError& e) {
        if (std::string_view(e.what()).rfind("NOSCRIPT", 0) != 0) throw;
    }
    argv[0] = "EVAL";
    argv[1] = script.source;
    return command(argv);
}

void Redis::drop() {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
    reused_ = false;
}

redisContext* Redis::open(const std::string& host, int port) {
    timeval tv{config_.redis_timeout_ms / 1000, (config_.redis_timeout_ms % 1000) * 1000};
    redisContext* ctx = host.empty() ? redisConnectUnixWithTimeout(config_.redis_socket.c_str(), tv)
                                     : redisConnectWithTimeout(host.c_str(), port, tv);
    if (ctx == nullptr || ctx->err != 0 || redisSetTimeout(ctx, tv) != REDIS_OK) {
        log_line("redis: connect to " + (host.empty() ? config_.redis_socket : host + ":" + std::to_string(port)) +
                 " failed: " + (ctx != nullptr ? ctx->errstr : "out of memory"));
        if (ctx != nullptr) redisFree(ctx);
        return nullptr;
    }
    return ctx;
}

void Redis::connect() {
    if (!config_.redis_sentinels.empty()) {
        connect_to_primary();
    } else {
        ctx_ = config_.redis_socket.empty() ? open(config_.redis_host, config_.redis_port) : open("", 0);
        if (ctx_ == nullptr) throw unavailable();
    }
    reused_ = false;
}

void Redis::connect_to_primary() {
    for (const HostPort& sentinel : config_.redis_sentinels) {
        redisContext* s = open(sentinel.host, sentinel.port);
        if (s == nullptr) continue;
        ReplyPtr where(static_cast<redisReply*>(
            redisCommand(s, "SENTINEL get-master-addr-by-name %s", config_.redis_master.c_str())));
        redisFree(s);
        if (!where || where->type != REDIS_REPLY_ARRAY || where->elements != 2) {
            log_line("redis: sentinel " + sentinel.host + ":" + std::to_string(sentinel.port) + " does not know " +
                     config_.redis_master);
            continue;
        }
        std::string host(where->element[0]->str, where->element[0]->len);
        int port = std::atoi(std::string(where->element[1]->str, where->element[1]->len).c_str());
        ctx_ = open(host, port);
        if (ctx_ == nullptr) continue;
        // The Sentinel may not have seen a failover yet: only a primary will do.
        ReplyPtr role(static_cast<redisReply*>(redisCommand(ctx_, "ROLE")));
        if (role && role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
            std::string(role->element[0]->str, role->element[0]->len) == "master") {
            return;
        }
        log_line("redis: " + host + ":" + std::to_string(port) + " is not a primary (yet)");
        drop();
    }
    throw unavailable();
}

ReplyPtr Redis::command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    for (int attempt = 0;; ++attempt) {
        bool retryable = attempt == 0 && reused_ && commands_in_request_ == 0;
        if (ctx_ == nullptr) connect();
        ++commands_in_request_;
        auto* raw = static_cast<redisReply*>(
            redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
        if (raw == nullptr) {
            // EOF or a reset means the server closed the socket before our
            // command arrived; a timeout means it may have run: never retry that.
            bool closed = ctx_->err == REDIS_ERR_EOF ||
                          (ctx_->err == REDIS_ERR_IO && (errno == ECONNRESET || errno == EPIPE));
            log_line(std::string("redis: command failed: ") + ctx_->errstr);
            drop();
            if (retryable && closed) {
                commands_in_request_ = 0;
                continue;
            }
            throw unavailable();
        }
        ReplyPtr reply(raw);
        if (reply->type == REDIS_REPLY_ERROR) {
            std::string text(reply->str, reply->len);
            // A primary that became a replica refused the write: ask the
            // Sentinels where the primary is now, and send it there once.
            if (text.rfind("READONLY", 0) == 0) {
                log_line("redis: " + text + ": the primary moved");
                drop();
                if (attempt == 0 && !config_.redis_sentinels.empty()) continue;
                throw unavailable();
            }
            // A Redis that is starting or stuck in a script is an outage too.
            if (text.rfind("LOADING", 0) == 0 || text.rfind("BUSY", 0) == 0) throw unavailable();
            throw RedisReplyError(text);
        }
        return reply;
    }
}

}  // namespace concert
