#include "client.hpp"

#include <cctype>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <CppUTest/Utest.h>

#include "base/text.hpp"

namespace itest {

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    std::string line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        value.erase(value.find_last_not_of("\r\n") + 1);
        auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
        // A repeated header is kept as "a, b" so a test can see the repeat.
        auto [it, inserted] = headers.emplace(name, value);
        if (!inserted) it->second += ", " + value;
    }
    return size * count;
}

// Appends one received response to $CONCERT_TEST_RESPONSE_LOG (JSON lines),
// which tests/api/validate.mjs checks against web/openapi.json after the
// run. One write() per line with O_APPEND, so forked racers can share it.
// method and target are "" when the request line was not HTTP.
void log_response(const std::string& method, const std::string& target, const Reply& reply, bool raw_socket) {
    static const char* path = std::getenv("CONCERT_TEST_RESPONSE_LOG");
    if (path == nullptr || *path == '\0' || reply.status == 0) return;
    concert::JsonPtr line(cJSON_CreateObject());
    UtestShell* test = UtestShell::getCurrent();
    std::string name = test == nullptr ? "" : std::string(test->getGroup().asCharString()) + "." + test->getName().asCharString();
    cJSON_AddStringToObject(line.get(), "test", name.c_str());
    cJSON_AddStringToObject(line.get(), "method", method.c_str());
    cJSON_AddStringToObject(line.get(), "target", target.c_str());
    cJSON_AddBoolToObject(line.get(), "rawSocket", raw_socket);
    cJSON_AddNumberToObject(line.get(), "status", static_cast<double>(reply.status));
    cJSON* headers = cJSON_AddObjectToObject(line.get(), "headers");
    for (const auto& [name_, value] : reply.headers) cJSON_AddStringToObject(headers, name_.c_str(), value.c_str());
    cJSON_AddStringToObject(line.get(), "body", reply.body.c_str());
    char* text = cJSON_PrintUnformatted(line.get());
    std::string out = std::string(text) + "\n";
    cJSON_free(text);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t written = write(fd, out.data(), out.size());
    (void)written;
    close(fd);
}

// The first response in what a raw connection received: status line,
// headers (lower-case names) and the body its Content-Length gives (or the rest).
Reply parse_raw_response(const std::string& out) {
    Reply reply;
    std::size_t end = out.find("\r\n\r\n");
    if (out.compare(0, 5, "HTTP/") != 0 || end == std::string::npos) return reply;
    std::size_t space = out.find(' ');
    reply.status = std::atol(out.c_str() + space + 1);
    std::size_t at = out.find("\r\n") + 2;
    while (at < end) {
        std::size_t eol = out.find("\r\n", at);
        std::string line = out.substr(at, eol - at) + "\r\n";
        on_header(line.data(), 1, line.size(), &reply.headers);
        at = eol + 2;
    }
    std::string rest = out.substr(end + 4);
    auto length = reply.headers.find("content-length");
    reply.body = length == reply.headers.end() ? rest : rest.substr(0, std::stoul(length->second));
    return reply;
}

}  // namespace

concert::JsonPtr Reply::json() const {
    return concert::JsonPtr(cJSON_ParseWithLengthOpts(body.c_str(), body.size() + 1, nullptr, 1));
}

Reply request(const std::string& method, const std::string& path, const std::string& body,
              const std::vector<std::string>& headers, long timeout_ms) {
    return request_on(0, method, path, body, headers, timeout_ms);
}

namespace {

Reply perform(const std::string& method, const std::string& url, const std::string& body,
              const std::vector<std::string>& headers, long timeout_ms) {
    Reply reply;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return reply;
    curl_slist* list = nullptr;
    bool typed = false;
    for (const std::string& h : headers) {
        list = curl_slist_append(list, h.c_str());
        typed = typed || strncasecmp(h.c_str(), "Content-Type:", 13) == 0;
    }
    // Bodies are JSON, as the contract asks, unless a test says otherwise.
    if (!body.empty() && !typed) list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (!body.empty() || method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return reply;
}

}  // namespace

Reply request_on(int instance, const std::string& method, const std::string& path, const std::string& body,
                 const std::vector<std::string>& headers, long timeout_ms) {
    Reply reply = perform(method, (instance == 0 ? base_url() : base_url_b()) + path, body, headers, timeout_ms);
    log_response(method, path, reply, false);
    return reply;
}

Reply get_url(const std::string& url, long timeout_ms) { return perform("GET", url, "", {}, timeout_ms); }

std::string base_url() { return env_or("CONCERT_TEST_URL", "http://127.0.0.1:18080"); }
std::string metrics_url() { return env_or("CONCERT_TEST_METRICS_URL", "http://127.0.0.1:18090"); }
std::string base_url_b() { return env_or("CONCERT_TEST_URL_B", "http://127.0.0.1:18081"); }
std::string state_dir() { return env_or("CONCERT_TEST_STATE", "var/test"); }
std::string stack_script() { return env_or("CONCERT_TEST_STACK", "scripts/stack.sh"); }
int redis_port() { return std::atoi(env_or("CONCERT_TEST_REDIS_PORT", "26379").c_str()); }
int db_port() { return std::atoi(env_or("CONCERT_TEST_DB_PORT", "23306").c_str()); }

std::vector<std::string> in_processes(int n, const std::function<std::string(int)>& fn) {
    std::vector<std::pair<pid_t, int>> children;
    for (int i = 0; i < n; ++i) {
        int fds[2];
        if (pipe(fds) != 0) break;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            std::string out = fn(i);
            std::size_t off = 0;
            while (off < out.size()) {
                ssize_t w = write(fds[1], out.data() + off, out.size() - off);
                if (w <= 0) break;
                off += static_cast<std::size_t>(w);
            }
            _exit(0);  // no test-runner teardown in the child
        }
        close(fds[1]);
        children.emplace_back(pid, fds[0]);
    }
    std::vector<std::string> results;
    for (auto [pid, fd] : children) {
        std::string out;
        char buf[4096];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(r));
        close(fd);
        waitpid(pid, nullptr, 0);
        results.push_back(out);
    }
    return results;
}

concert::Redis& redis() {
    static concert::Config config = [] {
        concert::Config c;
        c.redis_port = redis_port();
        c.redis_timeout_ms = 5000;
        return c;
    }();
    static concert::Redis connection(config);
    // Each call is a "request" on a kept connection, so one closed by a Redis
    // restart (the health tests do that) is reopened instead of failing.
    connection.end_request();
    connection.begin_request();
    return connection;
}

namespace {

concert::Db& db() {
    static concert::Config config = [] {
        concert::Config c;
        c.db_url = "unix://" + state_dir() + "/mysql-run/mysqld.sock";
        return c;
    }();
    static concert::Db connection(config);
    connection.end_request();
    connection.begin_request();
    return connection;
}

}  // namespace

long exec(const std::string& sql) {
    return db().run(sql, [](sql::PreparedStatement& st) { return static_cast<long>(st.executeUpdate()); });
}

std::string scalar(const std::string& sql) {
    return db().run(sql, [](sql::PreparedStatement& st) {
        concert::ResultPtr rs(st.executeQuery());
        return rs->next() ? std::string(rs->getString(1)) : std::string();
    });
}

QueueFixture::QueueFixture() {
    redis().command({"FLUSHDB"});
    redis().command({"HSET", "{q}:settings", "queue.capacity", "100000"});
}

QueueFixture::~QueueFixture() {
    redis().command({"FLUSHDB"});
    if (changed_) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
}

void QueueFixture::set(const char* name, long value) {
    redis().command({"HSET", "{q}:settings", name, std::to_string(value)});
    changed_ = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
}

std::string day(int offset) {
    return scalar("SELECT DATE_FORMAT(CURRENT_DATE() + INTERVAL " + std::to_string(offset) + " DAY, '%Y-%m-%d')");
}

std::string check_problem() {
    int rc = -1;
    std::string report = concertctl("check", &rc);
    return rc == 0 && report.find("\"ok\":true") != std::string::npos ? "" : report;
}

std::string active_token(long concert) {
    Reply r = request("POST", "/api/v1/queue/token", token_request(new_user(), concert));
    concert::JsonPtr obj = r.json();
    return text_field(obj.get(), "status") == "ACTIVE" ? text_field(obj.get(), "token") : "";
}

long add_concert(const std::string& options) {
    std::string out = concertctl("concert add " + options);
    concert::JsonPtr obj(cJSON_Parse(out.c_str()));
    const cJSON* id = cJSON_GetObjectItemCaseSensitive(obj.get(), "concertId");
    return cJSON_IsNumber(id) ? static_cast<long>(id->valuedouble) : -1;
}

namespace {

std::map<std::string, std::string>& secrets() {
    static std::map<std::string, std::string> by_user;
    return by_user;
}

}  // namespace

std::string new_user(const std::string& name) {
    Reply r = request("POST", "/api/v1/users", "{\"name\":\"" + name + "\"}");
    concert::JsonPtr obj = r.json();
    std::string id = text_field(obj.get(), "userId");
    secrets()[id] = text_field(obj.get(), "userSecret");
    return id;
}

std::string secret_of(const std::string& user_id) {
    auto it = secrets().find(user_id);
    return it == secrets().end() ? "" : it->second;
}

std::string token_request(const std::string& user_id, long concert) {
    return "{\"userId\":\"" + user_id + "\",\"userSecret\":\"" + secret_of(user_id) +
           "\",\"concertId\":" + std::to_string(concert) + "}";
}

long any_room() {
    static long concert = add_concert("--name Waiting-room --dates " + day(30));
    return concert;
}

std::string concertctl(const std::string& args, int* status) {
    return output_of("CONCERT_REDIS_PORT=" + std::to_string(redis_port()) + " CONCERT_DB_URL=unix://" + state_dir() +
                         "/mysql-run/mysqld.sock bin/concertctl " + args + " 2>&1",
                     status);
}

std::string output_of(const std::string& command, int* status) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    if (status != nullptr) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    return out;
}

int shell(const std::string& command) {
    int rc = std::system(command.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

std::string error_problem(const Reply& reply, int status, const std::string& message) {
    if (reply.status != status) return "status " + std::to_string(reply.status) + ", body " + reply.body;
    auto type = reply.headers.find("content-type");
    if (type == reply.headers.end() || type->second.rfind("application/json", 0) != 0) {
        return "content-type is not application/json";
    }
    concert::JsonPtr obj = reply.json();
    if (!obj || !cJSON_IsObject(obj.get())) return "body is not a JSON object: " + reply.body;
    if (cJSON_GetArraySize(obj.get()) != 3) return "body has other fields than the error's: " + reply.body;
    const cJSON* code = cJSON_GetObjectItemCaseSensitive(obj.get(), "statusCode");
    if (!cJSON_IsNumber(code) || code->valuedouble != status) return "statusCode differs: " + reply.body;
    if (text_field(obj.get(), "error") != concert::reason_phrase(status)) return "error differs: " + reply.body;
    if (!message.empty() && text_field(obj.get(), "message") != message) return "message differs: " + reply.body;
    if (text_field(obj.get(), "message").empty()) return "message is empty";
    return "";
}

int connect_raw() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    std::string url = base_url();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1))));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

std::string raw(const std::string& request) {
    int fd = connect_raw();
    if (fd < 0) return "";
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(fd);
    // "METHOD TARGET HTTP/1.x" or nothing: the validator then knows only that
    // the request was not one the document describes.
    std::string method, target;
    std::size_t eol = request.find("\r\n");
    std::string line = request.substr(0, eol);
    std::size_t s1 = line.find(' '), s2 = line.rfind(' ');
    if (s1 != std::string::npos && s2 > s1 && line.compare(s2 + 1, 7, "HTTP/1.") == 0) {
        method = line.substr(0, s1);
        target = line.substr(s1 + 1, s2 - s1 - 1);
    }
    log_response(method, target, parse_raw_response(out), true);
    return out;
}

std::string ticket_of(const std::string& token) {
    std::size_t dot1 = token.find('.');
    std::size_t dot2 = token.find('.', dot1 + 1);
    if (dot1 == std::string::npos || dot2 == std::string::npos) return "";
    std::optional<std::string> payload = concert::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    concert::JsonPtr claims(cJSON_Parse(payload.value_or("{}").c_str()));
    const cJSON* tkt = cJSON_GetObjectItemCaseSensitive(claims.get(), "tkt");
    return cJSON_IsNumber(tkt) ? std::to_string(static_cast<long>(tkt->valuedouble)) : "";
}

std::string text_field(const cJSON* obj, const char* name) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

}  // namespace itest
