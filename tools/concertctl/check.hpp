#pragma once
// `concertctl check`: the invariants the service promises, verified
// against the database in one consistent snapshot.

#include <string>

#include "store/db.hpp"

namespace concert {

struct CheckReport {
    bool ok = true;
    std::string json;  // {"ok", "counts": {...}, "violations": {name: [ids...]}}
};

// Runs every check; a violation lists up to 20 offending ids.
CheckReport check_invariants(Db& db);

}  // namespace concert
