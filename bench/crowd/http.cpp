#include "crowd/http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace crowd {

double now_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char a = line[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

// A chunked body starting at 'at': appends it to 'body' and returns the
// offset after the last chunk, or npos while incomplete.
std::size_t dechunk(std::string_view in, std::size_t at, std::string& body) {
    for (;;) {
        std::size_t eol = in.find("\r\n", at);
        if (eol == std::string_view::npos) return eol;
        std::size_t size = std::strtoul(std::string(in.substr(at, eol - at)).c_str(), nullptr, 16);
        at = eol + 2;
        if (size == 0) {
            std::size_t end = in.find("\r\n", at);  // no trailers from nginx: the empty line
            return end == std::string_view::npos ? end : end + 2;
        }
        if (in.size() < at + size + 2) return std::string_view::npos;
        body.append(in.substr(at, size));
        at += size + 2;
    }
}

}  // namespace

bool parse_answer(std::string_view in, Parsed& out) {
    std::size_t head_end = in.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return false;
    if (in.size() < 12 || in.compare(0, 5, "HTTP/") != 0) throw std::runtime_error("not an HTTP answer");
    out = Parsed{};
    out.status = std::atoi(std::string(in.substr(9, 3)).c_str());
    bool chunked = false;
    std::size_t content_length = 0;
    std::size_t at = in.find("\r\n") + 2;
    while (at < head_end) {
        std::size_t eol = in.find("\r\n", at);
        std::string_view line = in.substr(at, eol - at);
        if (iequals_prefix(line, "content-length:")) content_length = std::strtoul(std::string(line.substr(15)).c_str(), nullptr, 10);
        if (iequals_prefix(line, "transfer-encoding:") && line.find("chunked") != std::string_view::npos) chunked = true;
        if (iequals_prefix(line, "connection:") && line.find("close") != std::string_view::npos) out.close = true;
        at = eol + 2;
    }
    std::size_t body_at = head_end + 4;
    if (chunked) {
        std::size_t end = dechunk(in, body_at, out.body);
        if (end == std::string_view::npos) return false;
        out.length = end;
        return true;
    }
    if (in.size() < body_at + content_length) return false;
    out.body.assign(in.substr(body_at, content_length));
    out.length = body_at + content_length;
    return true;
}

HttpPool::HttpPool(const std::string& host, int port, int connections, int epoll_fd, Done done)
    : host_(host), port_(port), epoll_fd_(epoll_fd), done_(std::move(done)), conns_(static_cast<std::size_t>(connections)) {
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
        open(conns_[i], i);
        idle_.push_back(i);
    }
}

HttpPool::~HttpPool() {
    for (Conn& c : conns_) close_conn(c);
}

void HttpPool::watch(Conn& c, std::uint32_t index, bool want_write, bool add) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u);
    ev.data.u64 = index;
    if (epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev) != 0) {
        throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
    }
}

void HttpPool::open(Conn& c, std::uint32_t index) {
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
    int rc = connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (rc != 0 && errno != EINPROGRESS) throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    c.connected = rc == 0;
    c.in.clear();
    watch(c, index, !c.connected, true);
}

void HttpPool::close_conn(Conn& c) {
    if (c.fd >= 0) close(c.fd);  // closing drops it from the epoll set
    c.fd = -1;
    c.connected = false;
}

void HttpPool::submit(Outgoing request) {
    if (idle_.empty()) {
        queue_.push_back({std::move(request), now_seconds()});
        return;
    }
    std::uint32_t index = idle_.back();
    idle_.pop_back();
    Conn& c = conns_[index];
    c.request = std::move(request);
    c.queued_for = 0;
    start(c, index);
}

// Sends the connection's request (once connected).
void HttpPool::start(Conn& c, std::uint32_t index) {
    c.busy = true;
    ++busy_;
    c.out = c.request.text;
    c.out_at = 0;
    c.in.clear();
    c.sent_at = now_seconds();
    if (c.connected) write_some(c, index);
}

void HttpPool::write_some(Conn& c, std::uint32_t index) {
    while (c.out_at < c.out.size()) {
        ssize_t n = send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            watch(c, index, true, false);
            return;
        }
        if (n <= 0) {
            fail(c, index);
            return;
        }
        c.out_at += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.out_at = 0;
}

void HttpPool::read_some(Conn& c, std::uint32_t index) {
    char buf[16384];
    for (;;) {
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) {
            fail(c, index);
            return;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
    }
    if (!c.busy) return;  // nothing asked: keep-alive noise
    Parsed parsed;
    if (!parse_answer(c.in, parsed)) return;
    finish(c, index, parsed.status, parsed.body, parsed.close || parsed.length != c.in.size());
}

void HttpPool::on_event(std::uint32_t index, std::uint32_t events) {
    Conn& c = conns_[index];
    if (c.fd < 0) return;
    if (!c.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            fail(c, index);
            return;
        }
        c.connected = true;
        watch(c, index, false, false);
        if (c.busy) write_some(c, index);
        return;
    }
    if (events & EPOLLOUT) {
        watch(c, index, false, false);
        write_some(c, index);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_some(c, index);
}

// The connection broke: an idle one is opened again quietly; a request in
// flight is answered with status 0 (a socket error the crowd counts).
void HttpPool::fail(Conn& c, std::uint32_t index) {
    bool was_busy = c.busy;
    close_conn(c);
    ++reconnects_;
    if (was_busy) {
        finish(c, index, 0, {}, true);
        return;
    }
    // An idle keep-alive connection the server closed: reopen it; it stays idle.
    open(c, index);
}

void HttpPool::finish(Conn& c, std::uint32_t index, int status, std::string_view body, bool close) {
    Answer answer;
    answer.status = status;
    answer.body = body;
    answer.seconds = now_seconds() - c.sent_at;
    answer.queued = c.queued_for;
    Outgoing request = std::move(c.request);  // 'body' lives in the caller's frame, not in c
    c.busy = false;
    --busy_;
    if (close) {
        if (c.fd >= 0) {
            close_conn(c);
            ++reconnects_;
        }
        open(c, index);
    }
    c.in.clear();
    if (!queue_.empty()) {
        Queued next = std::move(queue_.front());
        queue_.pop_front();
        c.request = std::move(next.request);
        c.queued_for = now_seconds() - next.since;
        start(c, index);
    } else {
        idle_.push_back(index);
    }
    done_(request, answer);
}

}  // namespace crowd
