#include "store/redis.hpp"

#include <cerrno>
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

void Redis::connect() {
    timeval tv{config_.redis_timeout_ms / 1000, (config_.redis_timeout_ms % 1000) * 1000};
    ctx_ = config_.redis_socket.empty()
               ? redisConnectWithTimeout(config_.redis_host.c_str(), config_.redis_port, tv)
               : redisConnectUnixWithTimeout(config_.redis_socket.c_str(), tv);
    if (ctx_ == nullptr || ctx_->err != 0 || redisSetTimeout(ctx_, tv) != REDIS_OK) {
        log_line(std::string("redis: connect failed: ") + (ctx_ != nullptr ? ctx_->errstr : "out of memory"));
        drop();
        throw unavailable();
    }
    reused_ = false;
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
            // A Redis that is starting or stuck in a script is an outage too.
            if (text.rfind("LOADING", 0) == 0 || text.rfind("BUSY", 0) == 0) throw unavailable();
            throw RedisReplyError(text);
        }
        return reply;
    }
}

}  // namespace concert
