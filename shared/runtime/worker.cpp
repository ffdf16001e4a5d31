#include "runtime/worker.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.hpp"
#include "base/metrics.hpp"
#include "runtime/connection.hpp"

namespace concert {

namespace {

// Takes the connection epoll announced on the (non-blocking) listening
// socket: its descriptor, or -1 when there is none to take (another worker
// took it, or the client left first; out of descriptors or memory: logged,
// after a pause of 500 ms). A socket that is itself broken ends the worker
// (logged): the master starts a new one.
int take_connection(int listen_fd, const char* name) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED || e == EPROTO) return -1;
    log_line(std::string(name) + ": accept: " + std::strerror(e));
    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        return -1;
    }
    _exit(1);
}

}  // namespace

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

// The worker waits (epoll) on the listening socket, which the pool shares,
// and accepts without blocking: EPOLLEXCLUSIVE wakes one waiting worker
// per connection, not the whole pool, and a worker that loses the race for
// it goes back to waiting. A connection is served to its end before the
// next is taken (one request each).
// SIGTERM and SIGINT stay blocked in a worker for its whole life, so no
// system call of a request (reading the request, the database, Redis) is
// ever cut short by them; the worker looks for a pending one between
// connections, and at least every second (the wait's timeout).
void run_worker(int listen_fd, const Config& config, Handler handler, const char* name, pid_t master, int slot) {
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
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &listening) != 0) {
        log_line(std::string(name) + ": cannot wait on the socket (" + std::strerror(errno) + "), worker exits");
        _exit(1);
    }
    for (;;) {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT)) break;
        epoll_event ready;
        int n = epoll_wait(ep, &ready, 1, 1000);
        if (n < 0 && errno != EINTR) {
            log_line(std::string(name) + ": wait failed (" + std::strerror(errno) + "), worker exits");
            break;
        }
        if (n <= 0) continue;
        int fd = take_connection(listen_fd, name);
        if (fd >= 0) serve_connection(fd, handler, deps, name);
    }
    _exit(0);
}

}  // namespace concert
