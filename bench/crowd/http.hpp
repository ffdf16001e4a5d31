#pragma once
// The crowd's HTTP/1.1 client: a fixed pool of keep-alive connections to
// one address (nginx), driven by epoll from the crowd's one thread, one
// request in flight per connection. Requests wait in a FIFO until a
// connection is free, so a million clients cost a few hundred sockets.
// It reads what nginx sends (Content-Length or chunked bodies, "Connection:
// close") and nothing more; libcurl per request would cost the simulator
// more CPU than the server it measures.

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace crowd {

// One request to send: its bytes, and what the caller needs to route the
// answer (the client's index, the route, a step of the client's protocol).
struct Outgoing {
    std::string text;
    std::uint32_t client = 0;
    std::uint8_t route = 0;
    std::uint8_t step = 0;
};

// A finished exchange. status 0: the connection failed (refused, reset,
// closed before a whole answer): a socket error.
struct Answer {
    int status = 0;
    std::string_view body;
    double seconds = 0;   // from the request's first byte written to the last byte read
    double queued = 0;    // seconds it waited for a free connection
};

class HttpPool {
public:
    using Done = std::function<void(const Outgoing&, const Answer&)>;

    // 'connections' sockets to host:port (IPv4 text), registered on 'epoll_fd'
    // with their index as the event's data; 'done' is called once for every
    // submitted request.
    HttpPool(const std::string& host, int port, int connections, int epoll_fd, Done done);
    ~HttpPool();
    HttpPool(const HttpPool&) = delete;
    HttpPool& operator=(const HttpPool&) = delete;

    void submit(Outgoing request);
    // An epoll event for connection 'index' (the event's data).
    void on_event(std::uint32_t index, std::uint32_t events);
    std::size_t waiting() const { return queue_.size(); }
    std::size_t in_flight() const { return busy_; }
    std::uint64_t reconnects() const { return reconnects_; }

private:
    struct Conn {
        int fd = -1;
        bool connected = false;
        bool busy = false;
        Outgoing request;
        std::string out;         // bytes not yet written
        std::size_t out_at = 0;
        std::string in;          // bytes read of the current answer
        double sent_at = 0;
        double queued_for = 0;
    };
    struct Queued {
        Outgoing request;
        double since;
    };

    void open(Conn& c, std::uint32_t index);
    void close_conn(Conn& c);
    void start(Conn& c, std::uint32_t index);
    void write_some(Conn& c, std::uint32_t index);
    void read_some(Conn& c, std::uint32_t index);
    void fail(Conn& c, std::uint32_t index);
    void finish(Conn& c, std::uint32_t index, int status, std::string_view body, bool close);
    void watch(Conn& c, std::uint32_t index, bool want_write, bool add);

    std::string host_;
    int port_;
    int epoll_fd_;
    Done done_;
    std::vector<Conn> conns_;
    std::vector<std::uint32_t> idle_;
    std::deque<Queued> queue_;
    std::size_t busy_ = 0;
    std::uint64_t reconnects_ = 0;
};

// Parses one whole HTTP/1.1 answer at the start of 'in': its status, body
// and whether the server closes after it. Returns false while 'in' holds
// less than a whole answer. Pure, so it is tested without sockets.
struct Parsed {
    int status = 0;
    std::string body;
    bool close = false;
    std::size_t length = 0;  // bytes of 'in' the answer took
};
bool parse_answer(std::string_view in, Parsed& out);

double now_seconds();  // CLOCK_MONOTONIC, shared by every process of the machine

}  // namespace crowd
