#include "concert_add.hpp"

#include <optional>
#include <stdexcept>

#include "base/json.hpp"
#include "base/text.hpp"

namespace concert {

namespace {

constexpr const char* kInsertConcert = "INSERT INTO concerts (name) VALUES (?)";
constexpr const char* kInsertDate =
    "INSERT INTO concert_dates (concert_id, play_date, total_seats) VALUES (?, ?, ?)";
constexpr const char* kLastId = "SELECT LAST_INSERT_ID()";
constexpr const char* kIsPast = "SELECT ? < CURRENT_DATE()";

std::int64_t strict_int(const std::string& option, const std::string& text, std::int64_t min, std::int64_t max) {
    std::optional<std::int64_t> v = text.rfind('-', 0) == 0 ? std::nullopt : parse_decimal(text);
    if (!v || *v < min || *v > max) {
        throw std::invalid_argument(option + " must be an integer from " + std::to_string(min) + " to " +
                                    std::to_string(max));
    }
    return *v;
}

std::int64_t last_id(Db& db) {
    return db.run(kLastId, [](sql::PreparedStatement& st) {
        ResultPtr rs(st.executeQuery());
        rs->next();
        return static_cast<std::int64_t>(rs->getUInt64(1));
    });
}

// "INSERT ... VALUES (?, ?, ?), ..." for n seats.
std::string insert_seats_query(int n) {
    std::string q = "INSERT INTO seats (concert_date_id, seat_number, price) VALUES ";
    for (int i = 0; i < n; ++i) q += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
    return q;
}

}  // namespace

NewConcert parse_concert_add(const std::vector<std::string>& options) {
    NewConcert c;
    bool have_name = false, have_dates = false;
    for (std::size_t i = 0; i < options.size(); i += 2) {
        const std::string& opt = options[i];
        if (i + 1 >= options.size()) throw std::invalid_argument(opt + " needs a value");
        const std::string& value = options[i + 1];
        if (opt == "--name") {
            std::size_t chars = utf8_length(value);
            if (!is_valid_utf8(value) || chars < 1 || chars > 200 ||
                value.find_first_not_of(" \t") == std::string::npos) {
                throw std::invalid_argument("--name must be 1 to 200 characters, not blank");
            }
            c.name = value;
            have_name = true;
        } else if (opt == "--dates") {
            c.dates = parse_date_list(value);
            have_dates = true;
        } else if (opt == "--seats") {
            c.seats = static_cast<int>(strict_int("--seats", value, 1, kMaxSeatsPerDate));
        } else if (opt == "--price") {
            c.price = strict_int("--price", value, 0, kMaxPrice);
        } else {
            throw std::invalid_argument("unknown option " + opt);
        }
    }
    if (!have_name) throw std::invalid_argument("--name is required");
    if (!have_dates) throw std::invalid_argument("--dates is required");
    return c;
}

std::int64_t add_concert(Db& db, const NewConcert& c) {
    db.begin();
    for (const Date& date : c.dates) {
        bool past = db.run(kIsPast, [&](sql::PreparedStatement& st) {
            st.setString(1, format_date(date));
            ResultPtr rs(st.executeQuery());
            return rs->next() && rs->getBoolean(1);
        });
        if (past) {
            db.rollback();
            throw std::invalid_argument("date has already passed: " + format_date(date));
        }
    }
    db.run(kInsertConcert, [&](sql::PreparedStatement& st) {
        st.setString(1, c.name);
        return st.executeUpdate();
    });
    std::int64_t concert_id = last_id(db);
    std::string insert_seats = insert_seats_query(c.seats);
    for (const Date& date : c.dates) {
        db.run(kInsertDate, [&](sql::PreparedStatement& st) {
            st.setInt64(1, concert_id);
            st.setString(2, format_date(date));
            st.setInt(3, c.seats);
            return st.executeUpdate();
        });
        std::int64_t date_id = last_id(db);
        db.run(insert_seats, [&](sql::PreparedStatement& st) {
            for (int n = 1; n <= c.seats; ++n) {
                st.setInt64(static_cast<unsigned>(3 * n - 2), date_id);
                st.setInt(static_cast<unsigned>(3 * n - 1), n);
                st.setInt64(static_cast<unsigned>(3 * n), c.price);
            }
            return st.executeUpdate();
        });
    }
    db.commit();
    return concert_id;
}

}  // namespace concert
