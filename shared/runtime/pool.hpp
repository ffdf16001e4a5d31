#pragma once
// A pool's master: forks the workers (runtime/worker.hpp) that share one
// listening socket, replaces any that dies, and drains them on SIGTERM or
// SIGINT.

#include "base/config.hpp"
#include "runtime/dispatch.hpp"

namespace concert {

// Runs config.workers workers on listen_fd until SIGTERM or SIGINT, then
// lets each finish the request it is serving (15 s, then SIGKILL) and
// returns. 'name' labels the log lines and the pool's counters. The socket
// is non-blocking while the workers share it and blocking again when this
// returns, as it came: it may be systemd's and outlive the pool.
void run_pool(const char* name, Handler handler, const Config& config, int listen_fd);

}  // namespace concert
