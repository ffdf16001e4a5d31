#include "runtime/serve.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fcgiapp.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.hpp"
#include "base/metrics.hpp"

namespace concert {

namespace {

constexpr int kSystemdFirstFd = 3;  // SD_LISTEN_FDS_START
constexpr int kBacklog = 4096;  // capped by net.core.somaxconn
constexpr int kDrainSeconds = 15;  // a worker still busy after this is killed

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

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

std::string read_body(FCGX_Request& req, std::size_t length) {
    std::string body(length, '\0');
    std::size_t got = 0;
    while (got < length) {
        int n = FCGX_GetStr(&body[got], static_cast<int>(length - got), req.in);
        if (n <= 0) throw HttpError{400, "Request body is shorter than Content-Length"};
        got += static_cast<std::size_t>(n);
    }
    return body;
}

void serve_one(FCGX_Request& req, Handler handler, Deps& deps, const char* name) {
    auto started = std::chrono::steady_clock::now();
    std::vector<std::string_view> params;
    for (char** p = req.envp; p != nullptr && *p != nullptr; ++p) params.emplace_back(*p);

    Request request = request_from_params(params, {});
    Response response;
    try {
        std::size_t length = parse_content_length(FCGX_GetParam("CONTENT_LENGTH", req.envp));
        request.body = read_body(req, length);
        require_json_body(request);
        response = dispatch(handler, request, deps);
    } catch (const HttpError& e) {
        response = error_response(e);
    }

    std::string out = render(response);
    FCGX_PutStr(out.data(), static_cast<int>(out.size()), req.out);

    // nginx logs every request (with the same request id); the pool adds a
    // line only where it has something to say: a 5xx, or a slow request.
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started).count();
    metrics::request_done(response.status, micros);
    if (response.status < 500 && micros < std::int64_t{deps.config.log_slower_than_ms} * 1000) return;
    log_line(std::string(name) + " " + request.method + " " + request.path + " " +
             std::to_string(response.status) + " " + std::to_string(micros) + "us rid=" +
             (request.request_id.empty() ? "-" : request.request_id));
}

// A connection's request object. nginx may keep a FastCGI connection open
// for further requests (fastcgi_keep_conn); a kept connection stays with
// the worker that accepted it, idle in its epoll set between requests.
// libfcgi only reads and writes here: the worker accepts (listen_sock -1,
// so libfcgi can never block in accept() of its own after a connection
// ends), and keepConnection is set before the first read only so that
// FCGX_Accept_r does not close what it was handed. A read waits at most
// 2 s (libfcgi's own accept waits as long for a new connection's first
// bytes): a connection that goes quiet halfway through a request is
// dropped, never a worker stuck on it.
// An object of a closed connection is used again if given (no allocation
// per request).
std::unique_ptr<FCGX_Request> adopt(int fd, std::unique_ptr<FCGX_Request> req) {
    timeval quiet{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
    if (!req) req = std::make_unique<FCGX_Request>();
    FCGX_InitRequest(req.get(), -1, 0);
    req->ipcFd = fd;
    req->keepConnection = 1;
    return req;
}

// Reads the connection's next request, answers it and ends it as nginx
// asked: false once the connection is closed (nginx closed its end, a
// request nginx did not keep the connection for, or a broken stream).
bool serve_next(FCGX_Request& req, Handler handler, Deps& deps, const char* name) {
    if (FCGX_Accept_r(&req) < 0) return false;  // nothing more on it: libfcgi closed it
    serve_one(req, handler, deps, name);
    // libfcgi closes by shutting down its side and waiting until nginx
    // closes too, so that nothing nginx still sends makes the close a
    // reset. nginx sends nothing after the end of the request body: once
    // that end has been read here, cleanly, the wait is a wasted round
    // trip of the worker's time, and a plain close is safe. The answer
    // goes out first (closing the output streams sends it), so nginx
    // never waits on the probe. A body refused unread (413), a stream
    // error, or a connection nginx keeps open get libfcgi's own ending.
    FCGX_FClose(req.err);  // in FCGX_Finish_r's order: one write for all of it
    FCGX_FClose(req.out);
    char rest[4096];
    if (req.keepConnection) {
        // A kept connection's next request starts after this one's input:
        // whatever of it was not read (a body refused unread) goes now,
        // or the next read would find it and drop the connection.
        while (FCGX_GetStr(rest, sizeof rest, req.in) > 0) {
        }
    } else if (FCGX_GetStr(rest, 1, req.in) == 0 && FCGX_HasSeenEOF(req.in) && FCGX_GetError(req.in) == 0) {
        FCGX_Detach(&req);  // only skips the shutdown-and-wait at close
    }
    FCGX_Finish_r(&req);
    return req.ipcFd >= 0;
}

// A worker: serves until told to stop. It waits (epoll) on the listening
// socket, which the pool shares, and on the connections nginx keeps open
// to it, and serves whichever is ready: a new connection is accepted
// (non-blocking, so a worker that lost the race for it goes back to
// waiting; EPOLLEXCLUSIVE wakes one waiting worker per connection, not
// the whole pool), a kept one has its next request read. A worker is never
// stuck on one idle kept connection while others wait (STACK-NOTES: with
// one connection per worker, kept connections cost a 1-2 s p99).
// SIGTERM and SIGINT stay blocked in a worker for its whole life, so no
// system call of a request (reading the request, the database, Redis) is
// ever cut short by them; the worker looks for a pending one between
// requests, and at least every second (the wait's timeout).
[[noreturn]] void worker_main(int listen_fd, const Config& config, Handler handler, const char* name,
                              pid_t master, int slot) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the pool's master
    sigset_t stops = stop_signals();
    sigprocmask(SIG_SETMASK, &stops, nullptr);  // only the stop signals, and those for good
    if (getppid() != master) _exit(0);  // the master died before prctl took effect
    metrics::use_slot(slot);  // the slot of the worker this one replaces, if any: counts go on

    Db db(config);
    Redis redis(config);
    Deps deps{config, db, redis};
    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event listening{};
    listening.events = EPOLLIN | EPOLLEXCLUSIVE;
    listening.data.ptr = nullptr;  // a null request: the listening socket
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &listening) != 0) {
        log_line(std::string(name) + ": cannot wait on the socket (" + std::strerror(errno) + "), worker exits");
        _exit(1);
    }
    std::unordered_map<FCGX_Request*, std::unique_ptr<FCGX_Request>> kept;  // by address, as epoll names them
    std::unique_ptr<FCGX_Request> spare;  // the last one-request connection's object, for the next
    for (;;) {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT)) break;
        epoll_event ready[16];
        int n = epoll_wait(ep, ready, 16, 1000);
        if (n < 0 && errno != EINTR) {
            log_line(std::string(name) + ": wait failed (" + std::strerror(errno) + "), worker exits");
            break;
        }
        for (int i = 0; i < n; ++i) {
            auto* req = static_cast<FCGX_Request*>(ready[i].data.ptr);
            if (req != nullptr) {  // a kept connection: its next request, or its end
                if (!serve_next(*req, handler, deps, name)) kept.erase(req);  // closed: out of epoll too
                continue;
            }
            int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                int e = errno;
                // Another worker took it, or the client left before it was taken.
                if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
                log_line(std::string(name) + ": accept: " + std::strerror(e));
                if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // out of descriptors or memory: a while
                    continue;
                }
                _exit(1);  // the socket itself is broken: the master starts a new worker
            }
            std::unique_ptr<FCGX_Request> fresh = adopt(fd, std::move(spare));
            if (!serve_next(*fresh, handler, deps, name)) {  // one request, closed (the usual)
                spare = std::move(fresh);
                continue;
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = fresh.get();
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fresh->ipcFd, &ev) != 0) {
                FCGX_Free(fresh.get(), 1);  // cannot wait on it: closed, nginx opens another
                continue;
            }
            kept.emplace(fresh.get(), std::move(fresh));
        }
    }
    for (auto& [ptr, req] : kept) FCGX_Free(req.get(), 1);
    _exit(0);
}

pid_t spawn(int listen_fd, const Config& config, Handler handler, const char* name, int slot) {
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid == 0) worker_main(listen_fd, config, handler, name, master, slot);
    if (pid < 0) log_line(std::string(name) + ": fork failed: " + std::strerror(errno));
    return pid;
}

}  // namespace

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
    // Workers accept only when epoll says a connection waits, and without
    // blocking: of several woken, the ones that lose it wait again.
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);

    // The master keeps its signals blocked and takes them one at a time with
    // sigtimedwait, so none can slip in between a check and a wait.
    sigset_t signals = stop_signals();
    sigaddset(&signals, SIGCHLD);
    sigprocmask(SIG_BLOCK, &signals, nullptr);

    metrics::open_pool(config.metrics_dir, name, config.workers);
    std::vector<pid_t> workers;
    for (int i = 0; i < config.workers; ++i) workers.push_back(spawn(listen_fd, config, handler, name, i));
    log_line(std::string(name) + ": serving with " + std::to_string(config.workers) + " workers");

    bool stopping = false;
    while (!stopping) {
        timespec tick{1, 0};
        int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGTERM || sig == SIGINT) stopping = true;
        int status = 0;
        pid_t dead;
        while (!stopping && (dead = waitpid(-1, &status, WNOHANG)) > 0) {
            for (std::size_t slot = 0; slot < workers.size(); ++slot) {
                pid_t& pid = workers[slot];
                if (pid != dead) continue;
                log_line(std::string(name) + ": worker " + std::to_string(dead) +
                         (WIFSIGNALED(status) ? " killed by signal " + std::to_string(WTERMSIG(status))
                                              : " exited " + std::to_string(WEXITSTATUS(status))) +
                         ", replacing it");
                std::this_thread::sleep_for(std::chrono::milliseconds(100));  // no fork storm
                pid = spawn(listen_fd, config, handler, name, static_cast<int>(slot));
            }
        }
        // A slot whose fork failed (-1) is tried again on every tick.
        for (std::size_t slot = 0; slot < workers.size(); ++slot) {
            if (!stopping && workers[slot] < 0) workers[slot] = spawn(listen_fd, config, handler, name, static_cast<int>(slot));
        }
    }

    log_line(std::string(name) + ": stopping, draining workers");
    for (pid_t pid : workers) {
        if (pid > 0) kill(pid, SIGTERM);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kDrainSeconds);
    for (pid_t& pid : workers) {
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
    // The socket may be systemd's and outlive this pool: leave it blocking,
    // as it came, for whatever binary accepts on it next.
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) & ~O_NONBLOCK);
    if (!config.listen.empty()) unlink(config.listen.c_str());
    log_line(std::string(name) + ": stopped");
    return 0;
}

}  // namespace concert
