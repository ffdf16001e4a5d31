#pragma once
// Work split over forked processes, for the bench's bulk fills (bench/room.cpp
// and the crowd's bulk issue): each process gets its own Redis connection.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

namespace bench {

// Runs child(p) in 'procs' forked processes (p = 0 .. procs - 1), each
// exiting with what child returns; true if every one exited 0.
inline bool in_processes(int procs, const std::function<int(int)>& child) {
    std::vector<pid_t> children;
    for (int p = 0; p < procs; ++p) {
        pid_t pid = fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) std::_Exit(child(p));
        children.push_back(pid);
    }
    bool ok = true;
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return ok;
}

}  // namespace bench
