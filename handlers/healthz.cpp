// GET /healthz -> 200 {status: "ok", db: "ok", redis: "ok"}
//              | 503 {statusCode, message, error, status, db, redis} naming the failing part
//
// One cheap round trip to each store. A 503 keeps the contract's error
// fields and adds which part failed, so both load balancers and people can
// read it.

#include "base/error.hpp"
#include "base/json.hpp"
#include "runtime/serve.hpp"

namespace {

constexpr const char* kPingDb = "SELECT 1";

bool db_ok(concert::Db& db) {
    try {
        return db.run(kPingDb, [](sql::PreparedStatement& st) {
            concert::ResultPtr rs(st.executeQuery());
            return rs->next();
        });
    } catch (const concert::Unavailable&) {
        return false;
    } catch (const sql::SQLException&) {  // e.g. refused credentials: not healthy either
        return false;
    }
}

bool redis_ok(concert::Redis& redis) {
    try {
        concert::ReplyPtr reply = redis.command({"PING"});
        return reply->type == REDIS_REPLY_STATUS;
    } catch (const concert::Unavailable&) {
        return false;
    } catch (const concert::RedisReplyError&) {
        return false;
    }
}

concert::Response handle(const concert::Request&, concert::Deps& deps) {
    bool db = db_ok(deps.db);
    bool redis = redis_ok(deps.redis);
    concert::JsonPtr out = concert::new_object();
    int status = db && redis ? 200 : 503;
    if (status == 503) {
        const char* message = !db && !redis ? "Database and Redis unavailable"
                              : !db         ? "Database unavailable"
                                            : "Redis unavailable";
        concert::add_int(out.get(), "statusCode", status);
        concert::add_string(out.get(), "message", message);
        concert::add_string(out.get(), "error", concert::reason_phrase(status));
    }
    concert::add_string(out.get(), "status", status == 200 ? "ok" : "unavailable");
    concert::add_string(out.get(), "db", db ? "ok" : "unavailable");
    concert::add_string(out.get(), "redis", redis ? "ok" : "unavailable");
    concert::Response response = concert::json_response(status, concert::to_text(out.get()));
    if (status == 503) response.headers.emplace_back("Retry-After", "1");
    return response;
}

}  // namespace

int main() { return concert::serve("healthz", handle); }
