#pragma once
// For unit tests of the runtime: what a handler is given, over the default
// configuration. The stores open nothing until a statement or command is
// sent (tests that send one see Unavailable: nothing listens).

#include "runtime/dispatch.hpp"

namespace unit {

struct UnopenedDeps {
    concert::Config config;
    concert::Db db{config};
    concert::Redis redis{config};
    concert::Deps deps{config, db, redis};
};

}  // namespace unit
