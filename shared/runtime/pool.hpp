#pragma once
// A pool's master: takes the listening socket, forks the workers
// (runtime/worker.hpp) that share it, replaces any that dies, and drains
// them on SIGTERM or SIGINT.

#include "base/config.hpp"
#include "runtime/dispatch.hpp"

namespace concert {

// Takes the listening socket (systemd's, CONCERT_LISTEN's path created
// here, or fd 0 from spawn-fcgi), runs config.workers workers on it until
// SIGTERM or SIGINT, then lets each finish the request it is serving (15 s,
// then SIGKILL). 'name' labels the log lines and the pool's counters.
// Returns the process's exit status: 0 after a stop, 2 with no socket (the
// reason logged). The socket is non-blocking while the workers share it
// and blocking again at the end, as it came: it may be systemd's and
// outlive the pool; a path created here is removed.
int run_pool(const char* name, Handler handler, const Config& config);

}  // namespace concert
