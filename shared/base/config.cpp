#include "base/config.hpp"

#include <cerrno>
#include <cstdlib>

namespace concert {

namespace {

void read_string(const EnvLookup& env, const char* name, std::string& out) {
    const char* v = env(name);
    if (v != nullptr && *v != '\0') out = v;
}

void read_int(const EnvLookup& env, const char* name, int base, long min, long max, int& out) {
    const char* v = env(name);
    if (v == nullptr || *v == '\0') return;
    errno = 0;
    char* end = nullptr;
    long n = std::strtol(v, &end, base);
    if (errno != 0 || *end != '\0' || n < min || n > max) {
        throw ConfigError(std::string(name) + " must be a number from " + std::to_string(min) +
                          " to " + std::to_string(max) + ", got '" + v + "'");
    }
    out = static_cast<int>(n);
}

}  // namespace

Config config_from_env(const EnvLookup& lookup) {
    EnvLookup env = lookup ? lookup : EnvLookup([](const char* n) { return std::getenv(n); });
    Config c;
    read_string(env, "CONCERT_DB_URL", c.db_url);
    read_string(env, "CONCERT_DB_USER", c.db_user);
    read_string(env, "CONCERT_DB_PASSWORD", c.db_password);
    read_string(env, "CONCERT_DB_NAME", c.db_name);
    read_int(env, "CONCERT_DB_CONNECT_TIMEOUT", 10, 1, 600, c.db_connect_timeout_s);
    read_int(env, "CONCERT_DB_READ_TIMEOUT", 10, 1, 3600, c.db_read_timeout_s);
    read_string(env, "CONCERT_REDIS_HOST", c.redis_host);
    read_int(env, "CONCERT_REDIS_PORT", 10, 1, 65535, c.redis_port);
    read_string(env, "CONCERT_REDIS_SOCKET", c.redis_socket);
    read_int(env, "CONCERT_REDIS_TIMEOUT_MS", 10, 10, 600000, c.redis_timeout_ms);
    read_string(env, "CONCERT_TOKEN_SECRET", c.token_secret);
    read_int(env, "CONCERT_WORKERS", 10, 1, 256, c.workers);
    read_string(env, "CONCERT_LISTEN", c.listen);
    read_int(env, "CONCERT_SOCKET_MODE", 8, 0, 0777, c.socket_mode);
    read_int(env, "CONCERT_LOG_SLOWER_THAN_MS", 10, 0, 3600000, c.log_slower_than_ms);
    read_string(env, "CONCERT_METRICS_DIR", c.metrics_dir);
    return c;
}

}  // namespace concert
