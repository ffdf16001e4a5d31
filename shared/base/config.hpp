#pragma once
// Configuration from environment variables. Every default matches the local
// stack that `make run` starts, so a binary run with no settings talks to it.

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace concert {

// A server's address as "host:port".
struct HostPort {
    std::string host;
    int port = 0;
};

struct Config {
    std::string db_url = "tcp://127.0.0.1:13306";  // CONCERT_DB_URL: tcp://H:P or unix:///path
    std::vector<HostPort> db_nodes;                 // CONCERT_DB_NODES: h1:3306,h2:3306,...; wins over the URL
    std::string db_user = "concert";                // CONCERT_DB_USER
    std::string db_password = "concert";            // CONCERT_DB_PASSWORD
    std::string db_name = "concert";                // CONCERT_DB_NAME
    int db_connect_timeout_s = 2;                   // CONCERT_DB_CONNECT_TIMEOUT
    int db_read_timeout_s = 10;                     // CONCERT_DB_READ_TIMEOUT (also write)
    std::string redis_host = "127.0.0.1";           // CONCERT_REDIS_HOST
    int redis_port = 16379;                         // CONCERT_REDIS_PORT
    std::string redis_socket;                       // CONCERT_REDIS_SOCKET: wins over host/port
    std::vector<HostPort> redis_sentinels;          // CONCERT_REDIS_SENTINELS: h1:26379,...; wins over both
    std::string redis_master = "concert";           // CONCERT_REDIS_MASTER: the Sentinels' name for the primary
    int redis_timeout_ms = 1000;                    // CONCERT_REDIS_TIMEOUT_MS (connect and commands)
    std::string token_secret;                       // CONCERT_TOKEN_SECRET
    int workers = 2;                                // CONCERT_WORKERS: processes per pool
    std::string listen;                             // CONCERT_LISTEN: socket path; empty = inherited
    int socket_mode = 0660;                         // CONCERT_SOCKET_MODE (octal) for CONCERT_LISTEN
    int log_slower_than_ms = 250;                   // CONCERT_LOG_SLOWER_THAN_MS: 0 logs every request
    std::string metrics_dir;                        // CONCERT_METRICS_DIR: pools' counters; empty = none kept
};

// Thrown for a variable whose value is not acceptable; the message names it.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using EnvLookup = std::function<const char*(const char*)>;

// "h1:3306,h2:3306" as addresses; ConfigError (naming 'variable') for an
// empty entry, a missing host or a port outside 1..65535.
std::vector<HostPort> parse_host_ports(const std::string& variable, const std::string& text);

// Reads the configuration through 'env' (getenv by default). Unset or empty
// variables keep their defaults; numbers out of range throw ConfigError.
Config config_from_env(const EnvLookup& env = {});

}  // namespace concert
