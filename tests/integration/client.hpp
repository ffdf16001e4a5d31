#pragma once
// A small blocking HTTP client for the integration tests (libcurl), and the
// facts about the stack under test that tests/run.sh passes in.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/http.hpp"
#include "base/json.hpp"
#include "store/db.hpp"
#include "store/redis.hpp"

namespace itest {

struct Reply {
    long status = 0;  // 0: no answer (connection failed or timed out)
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
    concert::JsonPtr json() const;               // parsed body, or null if not JSON
};

// Sends one request to the stack under test. 'path' starts with '/'.
Reply request(const std::string& method, const std::string& path, const std::string& body = "",
              const std::vector<std::string>& headers = {}, long timeout_ms = 10000);

// The same request to one of the two independent instances (0: the first,
// 1: the second nginx and handler pools), as two hosts would serve it.
Reply request_on(int instance, const std::string& method, const std::string& path, const std::string& body = "",
                 const std::vector<std::string>& headers = {}, long timeout_ms = 10000);

// A GET of any URL (the internal metrics listener, say), not logged for the
// API description's check: it is not an API response.
Reply get_url(const std::string& url, long timeout_ms = 10000);

std::string base_url();      // CONCERT_TEST_URL
std::string metrics_url();   // CONCERT_TEST_METRICS_URL: the internal listener of the first instance
std::string base_url_b();    // CONCERT_TEST_URL_B
std::string state_dir();     // CONCERT_TEST_STATE
std::string stack_script();  // scripts/stack.sh
int redis_port();            // CONCERT_TEST_REDIS_PORT
int db_port();               // CONCERT_TEST_DB_PORT

// Runs fn(0..n-1) in n forked processes at once and returns what each
// returned, in index order: races between processes, not threads. fn must
// not use redis(), exec() or scalar(): a child shares the parent's
// connections, and two processes talking on one socket garble it. Compute
// such values before the fork.
std::vector<std::string> in_processes(int n, const std::function<std::string(int)>& fn);

// A Redis connection to the stack under test (settings, FLUSHDB).
concert::Redis& redis();

// Runs one SQL statement on the test stack's database (as the service's
// user); exec() returns the affected rows, scalar() the first column of the
// first row ("" if none).
long exec(const std::string& sql);
std::string scalar(const std::string& sql);

// A new user's token of the concert's room that is ACTIVE (the room must
// have space).
std::string active_token(long concert);

// A concert made once per test process, for tests that need a waiting room
// but none of its seats.
long any_room();

// `concertctl concert add` with these options; returns the concert id.
long add_concert(const std::string& options);

// Redis state for one test: an empty queue with room for everyone, default
// settings otherwise. set() changes a setting and waits until every handler
// sees it (they keep settings for up to a second); the destructor empties
// Redis and, if settings changed, waits for handlers to forget them.
class QueueFixture {
public:
    QueueFixture();
    ~QueueFixture();
    void set(const char* name, long value);

private:
    bool changed_ = false;
};

// A date relative to the database's today (UTC), as YYYY-MM-DD.
std::string day(int offset);

// `concertctl check` exits 0 and reports no violation; "" if so, else the report.
std::string check_problem();

// Signs up a new user through the API; returns the user id. The user's
// secret is kept in this process (secret_of).
std::string new_user(const std::string& name = "tester");

// The secret sign-up returned for a user new_user() made ("" if none).
std::string secret_of(const std::string& user_id);

// The body of POST /queue/token for a user new_user() made, in the concert's
// room: {"userId": ..., "userSecret": ..., "concertId": ...}.
std::string token_request(const std::string& user_id, long concert);

// Runs bin/concertctl against the stack under test; returns its stdout and
// sets 'status' to its exit status.
std::string concertctl(const std::string& args, int* status = nullptr);

// Runs a shell command; returns its exit status.
int shell(const std::string& command);

// Runs a shell command; returns what it wrote to stdout and sets 'status'
// to its exit status.
std::string output_of(const std::string& command, int* status = nullptr);

// "" if 'reply' is the contract's error: this status, JSON content type, a
// body of exactly {statusCode, message, error} with the status's reason
// phrase and, unless 'message' is empty, this message. Otherwise what differs.
std::string error_problem(const Reply& reply, int status, const std::string& message = "");

// A TCP connection to the stack's nginx (CONCERT_TEST_URL's port on
// 127.0.0.1) with a 5 s receive timeout, or -1.
int connect_raw();

// Sends raw bytes on a new connection and returns all that comes back until
// nginx closes it (send "Connection: close"; nginx closes after errors).
std::string raw(const std::string& request);

// The ticket number ("tkt") in a queue token's payload, or "".
std::string ticket_of(const std::string& token);

// A string field of a JSON object, or "" if absent.
std::string text_field(const cJSON* obj, const char* name);

}  // namespace itest
