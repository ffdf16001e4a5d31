#pragma once
// Log lines go to stderr, one write(2) each so lines from many worker
// processes sharing one file never interleave.

#include <string_view>

namespace concert {

// "2026-11-22T12:34:56.789Z pid=123 <text>\n"
void log_line(std::string_view text);

}  // namespace concert
