#include "runtime/pool.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fcgiapp.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.hpp"
#include "base/metrics.hpp"
#include "runtime/worker.hpp"

namespace concert {

namespace {

constexpr int kSystemdFirstFd = 3;  // SD_LISTEN_FDS_START
constexpr int kBacklog = 4096;  // capped by net.core.somaxconn
constexpr int kDrainSeconds = 15;  // a worker still busy after this is killed

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

// What the master knows: what its workers run, and their pids by slot
// (-1: none, its fork failed or it is gone).
struct Pool {
    const char* name;
    Handler handler;
    const Config& config;
    int listen_fd;
    std::vector<pid_t> workers;
};

// Forks the worker of 'slot'; its pid, or -1 (logged) if fork failed.
pid_t spawn(const Pool& pool, int slot) {
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid == 0) run_worker(pool.listen_fd, pool.config, pool.handler, pool.name, master, slot);
    if (pid < 0) log_line(std::string(pool.name) + ": fork failed: " + std::strerror(errno));
    return pid;
}

// Collects every worker that ended and starts another in its slot (logged),
// then tries again every slot whose fork failed.
void replace_ended(Pool& pool) {
    int status = 0;
    pid_t dead;
    while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
        for (std::size_t slot = 0; slot < pool.workers.size(); ++slot) {
            pid_t& pid = pool.workers[slot];
            if (pid != dead) continue;
            log_line(std::string(pool.name) + ": worker " + std::to_string(dead) +
                     (WIFSIGNALED(status) ? " killed by signal " + std::to_string(WTERMSIG(status))
                                          : " exited " + std::to_string(WEXITSTATUS(status))) +
                     ", replacing it");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // no fork storm
            pid = spawn(pool, static_cast<int>(slot));
        }
    }
    for (std::size_t slot = 0; slot < pool.workers.size(); ++slot) {
        if (pool.workers[slot] < 0) pool.workers[slot] = spawn(pool, static_cast<int>(slot));
    }
}

// Sends every worker SIGTERM and waits for each; one still busy after
// kDrainSeconds is killed.
void drain(Pool& pool) {
    for (pid_t pid : pool.workers) {
        if (pid > 0) kill(pid, SIGTERM);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kDrainSeconds);
    for (pid_t& pid : pool.workers) {
        while (pid > 0) {
            pid_t r = waitpid(pid, nullptr, WNOHANG);
            if (r == pid || (r < 0 && errno == ECHILD)) {
                pid = -1;
            } else if (std::chrono::steady_clock::now() > deadline) {
                kill(pid, SIGKILL);
                waitpid(pid, nullptr, 0);
                pid = -1;
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
    }
}

}  // namespace

// The socket is made non-blocking for the workers, which accept only when
// epoll says a connection waits, and without blocking: of several woken,
// the ones that lose it wait again. The master keeps its signals blocked
// and takes them one at a time with sigtimedwait, so none can slip in
// between a check and a wait; it looks at its workers on every SIGCHLD and
// at least every second.
int run_pool(const char* name, Handler handler, const Config& config) {
    int listen_fd = open_listener(config, name);
    if (listen_fd < 0) return 2;
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    sigset_t signals = stop_signals();
    sigaddset(&signals, SIGCHLD);
    sigprocmask(SIG_BLOCK, &signals, nullptr);

    metrics::open_pool(config.metrics_dir, name, config.workers);
    Pool pool{name, handler, config, listen_fd, {}};
    for (int i = 0; i < config.workers; ++i) pool.workers.push_back(spawn(pool, i));
    log_line(std::string(name) + ": serving with " + std::to_string(config.workers) + " workers");

    for (;;) {
        timespec tick{1, 0};
        int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGTERM || sig == SIGINT) break;
        replace_ended(pool);
    }

    log_line(std::string(name) + ": stopping, draining workers");
    drain(pool);
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) & ~O_NONBLOCK);
    if (!config.listen.empty()) unlink(config.listen.c_str());
    log_line(std::string(name) + ": stopped");
    return 0;
}

}  // namespace concert
