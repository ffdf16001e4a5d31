// GET /__bench/ping -> 200 {"pong":true}
//
// The benchmark's ceiling: a route through our own FastCGI runtime and pool
// settings that does no I/O at all. Every route's figure is reported as a
// ratio to this one. Built only for `make bench`, never installed.

#include "runtime/serve.hpp"

namespace {

concert::Response handle(const concert::Request&, concert::Deps&) {
    return concert::json_response(200, "{\"pong\":true}");
}

}  // namespace

int main() { return concert::serve("ping", handle); }
