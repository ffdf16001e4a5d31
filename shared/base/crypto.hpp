#pragma once
// The hashes, MAC and random bytes the service uses, over OpenSSL, so that
// no other module includes OpenSSL itself. Results are raw bytes; hex or
// base64url them with text.hpp.

#include <cstddef>
#include <string>
#include <string_view>

namespace concert {

std::string sha256(std::string_view data);  // 32 bytes
std::string sha1(std::string_view data);    // 20 bytes
void sha1_into(std::string_view data, unsigned char out[20]);  // the same, no allocation

// HMAC-SHA256 of 'data' under 'key' (32 bytes). Throws std::runtime_error if
// OpenSSL fails.
std::string hmac_sha256(std::string_view data, std::string_view key);

// 'n' bytes from OpenSSL's CSPRNG. Throws std::runtime_error if it fails.
std::string random_bytes(std::size_t n);

// Compares in time that depends only on the lengths, never on where the
// first difference is (for signatures and secrets).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace concert
