#include "sweep.hpp"

#include <string>
#include <vector>

#include "rules/sql_rules.hpp"

namespace concert {

namespace {

constexpr int kBatch = 500;
constexpr int kMaxBatches = 10000;

const std::string kLapsed =
    std::string("SELECT r.id, r.version, s.id, s.version, s.status = 'HELD' AND ") + kSeatHeldByReservation +
    " FROM reservations r JOIN seats s ON s.id = r.seat_id WHERE " + kReservationLapsed +
    " ORDER BY r.expires_at LIMIT " + std::to_string(kBatch);

const std::string kExpireReservation =
    std::string("UPDATE reservations r SET r.status = 'EXPIRED', r.version = r.version + 1 "
                "WHERE r.id = ? AND r.version = ? AND ") + kReservationLapsed;

constexpr const char* kForgetKeys = "DELETE FROM idempotency_keys WHERE created_at < NOW(3) - INTERVAL ? HOUR LIMIT ?";

const std::string kFreeSeat =
    std::string("UPDATE seats s SET ") + kReleaseSeat + " WHERE s.id = ? AND s.version = ? AND " + kHoldLapsed;

struct Lapsed {
    std::string reservation_id;
    std::int64_t reservation_version;
    std::int64_t seat_id;
    std::int64_t seat_version;
    bool seat_still_this_hold;  // the seat was not taken again since
};

}  // namespace

std::int64_t sweep_lapsed_holds(Db& db) {
    std::int64_t expired = 0;
    for (int batch = 0; batch < kMaxBatches; ++batch) {
        std::vector<Lapsed> rows;
        db.run(kLapsed, [&](sql::PreparedStatement& st) {
            ResultPtr rs(st.executeQuery());
            while (rs->next()) {
                rows.push_back({rs->getString(1), static_cast<std::int64_t>(rs->getUInt64(2)),
                                static_cast<std::int64_t>(rs->getUInt64(3)),
                                static_cast<std::int64_t>(rs->getUInt64(4)), rs->getBoolean(5)});
            }
            return 0;
        });
        if (rows.empty()) break;
        for (const Lapsed& row : rows) {
            try {
                db.begin();
                int done = db.execute(kExpireReservation, [&](sql::PreparedStatement& st) {
                    st.setString(1, row.reservation_id);
                    st.setInt64(2, row.reservation_version);
                });
                if (done == 1 && row.seat_still_this_hold) {
                    db.execute(kFreeSeat, [&](sql::PreparedStatement& st) {
                        st.setInt64(1, row.seat_id);
                        st.setInt64(2, row.seat_version);
                    });
                }
                db.commit();
                expired += done;
            } catch (const WriteConflict&) {
                // A payment or a new hold holds the row right now: it is
                // theirs to settle; this row waits for the next sweep.
                db.rollback();
            }
        }
        if (rows.size() < static_cast<std::size_t>(kBatch)) break;
    }
    return expired;
}

std::int64_t forget_old_keys(Db& db, int hours, int limit) {
    return db.run(kForgetKeys, [&](sql::PreparedStatement& st) {
        st.setInt(1, hours);
        st.setInt(2, limit);
        return static_cast<std::int64_t>(st.executeUpdate());
    });
}

}  // namespace concert
