#pragma once
// One Redis connection per worker process, opened on first use and reused,
// with a timeout on connect and on every command (hiredis's connect timeout
// alone does not cover commands). A failed connection throws Unavailable
// (base/error.hpp) and is dropped, so the next request opens a fresh one.
//
// With Sentinels (CONCERT_REDIS_SENTINELS) a connection goes to the primary
// they name (SENTINEL get-master-addr-by-name), confirmed by ROLE; after a
// failed connection or a READONLY reply (the primary became a replica: a
// failover) the next connection asks the Sentinels again. A command that
// got READONLY was not applied, so it is sent once more to the new primary.
// Scripts are reloaded on NOSCRIPT, so a promoted replica runs them too.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "base/config.hpp"

namespace concert {

struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Redis answered, but with an error reply (a bug of ours, not an outage).
struct RedisReplyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A Lua script, sent by its SHA1 (EVALSHA) and loaded on first use or after
// a Redis restart (NOSCRIPT).
struct Script {
    explicit Script(std::string lua);
    std::string source;
    std::string sha1;  // lower-case hex
};

class Redis {
public:
    explicit Redis(const Config& config) : config_(config) {}
    ~Redis();
    Redis(const Redis&) = delete;
    Redis& operator=(const Redis&) = delete;

    void begin_request() { commands_in_request_ = 0; }
    void end_request() {
        if (ctx_ != nullptr) reused_ = true;
    }

    // Sends one command given as separate arguments (binary-safe, no format
    // string) and returns its reply. Throws Unavailable if Redis cannot be
    // reached, does not answer within the timeout, or is loading or busy;
    // RedisReplyError on any other error reply. A connection kept from an earlier request that turns out
    // closed on this request's first command is reopened once: the closed
    // socket never delivered the command.
    ReplyPtr command(const std::vector<std::string>& args);

    // Runs a script atomically: EVALSHA, falling back to EVAL when Redis
    // does not know it yet. Same errors as command().
    ReplyPtr eval(const Script& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args);

private:
    void connect();
    redisContext* open(const std::string& host, int port);  // nullptr: logged, not reachable
    void connect_to_primary();  // through the Sentinels
    void drop();

    const Config& config_;
    redisContext* ctx_ = nullptr;
    int commands_in_request_ = 0;
    bool reused_ = false;
};

}  // namespace concert
