#include "runtime/dispatch.hpp"

#include <string>

#include "base/error.hpp"
#include "base/log.hpp"

namespace concert {

Response dispatch(Handler handler, const Request& request, Deps& deps) {
    deps.db.begin_request();
    deps.redis.begin_request();
    Response response;
    try {
        response = handler(request, deps);
    } catch (const HttpError& e) {
        response = error_response(e);
    } catch (const Unavailable& e) {
        response = error_response(HttpError{503, e.what(), {{"Retry-After", "1"}}});
    } catch (const sql::SQLException& e) {
        log_line("sql error " + std::to_string(e.getErrorCode()) + " (" + e.getSQLState() + "): " + e.what());
        response = error_response(HttpError{500, "Internal server error"});
    } catch (const std::exception& e) {
        log_line(std::string("unexpected error: ") + e.what());
        response = error_response(HttpError{500, "Internal server error"});
    } catch (...) {
        log_line("unexpected error of unknown type");
        response = error_response(HttpError{500, "Internal server error"});
    }
    deps.db.end_request();
    deps.redis.end_request();
    return response;
}

}  // namespace concert
