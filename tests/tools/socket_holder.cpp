// socket_holder PATH -- COMMAND [ARGS...]
//
// What a systemd .socket unit does for its service, for tests on machines
// without systemd as PID 1: listens on the unix socket PATH and runs COMMAND
// with it as fd 3 (LISTEN_FDS=1, LISTEN_PID=its pid). SIGHUP restarts
// COMMAND the way `systemctl restart` does (SIGTERM, wait until it exited,
// start it again) while the socket stays open, so connections wait in the
// backlog. SIGTERM or SIGINT stops COMMAND and exits.

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

pid_t spawn(int fd, char** argv) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (fd != 3) {
        dup2(fd, 3);
        close(fd);
    }
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    execvp(argv[0], argv);
    std::perror("socket_holder: exec");
    _exit(127);
}

void stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
        std::fprintf(stderr, "usage: socket_holder PATH -- COMMAND [ARGS...]\n");
        return 2;
    }
    const char* path = argv[1];
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
        std::perror("socket_holder: listen");
        return 1;
    }
    chmod(path, 0666);

    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&signals, s);
    sigprocmask(SIG_BLOCK, &signals, nullptr);

    pid_t child = spawn(fd, argv + 3);
    for (;;) {
        int sig = sigwaitinfo(&signals, nullptr);
        if (sig == SIGHUP) {
            stop(child);
            child = spawn(fd, argv + 3);
        } else if (sig == SIGTERM || sig == SIGINT) {
            stop(child);
            unlink(path);
            return 0;
        } else if (sig == SIGCHLD) {
            int status;
            if (waitpid(child, &status, WNOHANG) == child) child = -1;
        } else if (sig < 0 && errno != EINTR) {
            return 1;
        }
    }
}
