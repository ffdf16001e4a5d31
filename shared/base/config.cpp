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

void read_host_ports(const EnvLookup& env, const char* name, std::vector<HostPort>& out) {
    const char* v = env(name);
    if (v != nullptr && *v != '\0') out = parse_host_ports(name, v);
}

}  // namespace

std::vector<HostPort> parse_host_ports(const std::string& variable, const std::string& text) {
    std::vector<HostPort> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        std::size_t colon = item.rfind(':');
        const std::string port = colon == std::string::npos ? "" : item.substr(colon + 1);
        char* end = nullptr;
        errno = 0;
        long n = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
        if (colon == std::string::npos || colon == 0 || port.empty() || errno != 0 || *end != '\0' || n < 1 ||
            n > 65535) {
            throw ConfigError(variable + " must be host:port entries separated by commas, got '" + text + "'");
        }
        out.push_back({item.substr(0, colon), static_cast<int>(n)});
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

Config config_from_env(const EnvLookup& lookup) {
    EnvLookup env = lookup ? lookup : EnvLookup([](const char* n) { return std::getenv(n); });
    Config c;
    read_string(env, "CONCERT_DB_URL", c.db_url);
    read_host_ports(env, "CONCERT_DB_NODES", c.db_nodes);
    read_string(env, "CONCERT_DB_USER", c.db_user);
    read_string(env, "CONCERT_DB_PASSWORD", c.db_password);
    read_string(env, "CONCERT_DB_NAME", c.db_name);
    read_int(env, "CONCERT_DB_CONNECT_TIMEOUT", 10, 1, 600, c.db_connect_timeout_s);
    read_int(env, "CONCERT_DB_READ_TIMEOUT", 10, 1, 3600, c.db_read_timeout_s);
    read_string(env, "CONCERT_REDIS_HOST", c.redis_host);
    read_int(env, "CONCERT_REDIS_PORT", 10, 1, 65535, c.redis_port);
    read_string(env, "CONCERT_REDIS_SOCKET", c.redis_socket);
    read_host_ports(env, "CONCERT_REDIS_SENTINELS", c.redis_sentinels);
    read_string(env, "CONCERT_REDIS_MASTER", c.redis_master);
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
