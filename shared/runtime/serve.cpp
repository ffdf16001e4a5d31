#include "runtime/serve.hpp"

#include <csignal>
#include <string>

#include <fcgiapp.h>

#include "base/log.hpp"
#include "runtime/pool.hpp"

namespace concert {

// Only wires the parts: the configuration and the handler's demands on it,
// libfcgi, then the pool (runtime/pool.hpp) until it is told to stop.
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
    return run_pool(name, handler, config);
}

}  // namespace concert
