#pragma once
// A pool's worker: a single-threaded process that takes connections from
// the listening socket the pool's workers share and serves each one's
// request (runtime/connection.hpp), one at a time.

#include <csignal>

#include <sys/types.h>

#include "base/config.hpp"
#include "runtime/dispatch.hpp"

namespace concert {

// SIGTERM and SIGINT: what stops a pool and each of its workers.
sigset_t stop_signals();

// Serves, in a process just forked from 'master', until a stop signal,
// then ends the process (exit 0). A socket it cannot wait on, a failed
// wait or a broken socket end it too (logged; exit 1, 0 after a failed
// wait), and the master starts another. 'slot' is the worker's place in
// the pool's counters, the same for its replacement.
[[noreturn]] void run_worker(int listen_fd, const Config& config, Handler handler, const char* name, pid_t master,
                             int slot);

}  // namespace concert
