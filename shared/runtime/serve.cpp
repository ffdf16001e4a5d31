#include "runtime/serve.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcgiapp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.hpp"
#include "runtime/pool.hpp"

namespace concert {

namespace {

constexpr int kSystemdFirstFd = 3;  // SD_LISTEN_FDS_START
constexpr int kBacklog = 4096;  // capped by net.core.somaxconn

// The socket handed over by systemd, a path we create, or fd 0 from
// spawn-fcgi; -1 with a logged reason if there is none.
int open_listener(const Config& config, const char* name) {
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    if (pid != nullptr && fds != nullptr && std::atoi(pid) == getpid() && std::atoi(fds) >= 1) {
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        return kSystemdFirstFd;
    }
    if (!config.listen.empty()) {
        int fd = FCGX_OpenSocket(config.listen.c_str(), kBacklog);
        if (fd < 0) {
            log_line(std::string(name) + ": cannot listen on " + config.listen + ": " + std::strerror(errno));
            return -1;
        }
        chmod(config.listen.c_str(), static_cast<mode_t>(config.socket_mode));
        return fd;
    }
    struct stat st {};
    if (fstat(0, &st) == 0 && S_ISSOCK(st.st_mode)) return 0;
    log_line(std::string(name) + ": no listening socket: set CONCERT_LISTEN, or start under "
             "systemd socket activation or spawn-fcgi");
    return -1;
}

}  // namespace

// Only wires the parts: the configuration and the handler's demands on it,
// libfcgi, the listening socket, then the pool (runtime/pool.hpp) until it
// is told to stop. A socket path it created is removed at the end.
int serve(const char* name, Handler handler, ConfigCheck check) {
    Config config;
    try {
        config = config_from_env();
        if (check != nullptr) check(config);
    } catch (const ConfigError& e) {
        log_line(std::string(name) + ": " + e.what());
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) {
        log_line(std::string(name) + ": FCGX_Init failed");
        return 1;
    }
    int listen_fd = open_listener(config, name);
    if (listen_fd < 0) return 2;

    run_pool(name, handler, config, listen_fd);
    if (!config.listen.empty()) unlink(config.listen.c_str());
    log_line(std::string(name) + ": stopped");
    return 0;
}

}  // namespace concert
