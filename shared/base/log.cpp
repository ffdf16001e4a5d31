#include "base/log.hpp"

#include <ctime>
#include <string>

#include <sys/time.h>
#include <unistd.h>

namespace concert {

void log_line(std::string_view text) {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm utc{};
    gmtime_r(&tv.tv_sec, &utc);
    char stamp[64];
    std::size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string line(stamp, n);
    char frac[32];
    snprintf(frac, sizeof frac, ".%03ldZ pid=%d ", static_cast<long>(tv.tv_usec / 1000), static_cast<int>(getpid()));
    line += frac;
    line += text;
    line += '\n';
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

}  // namespace concert
