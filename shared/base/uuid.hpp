#pragma once
// UUIDs for users, reservations and payments: version 7 (time-ordered, so
// new rows append to the end of InnoDB's primary-key index instead of
// splitting pages at random), in canonical lower-case text.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace concert {

// A new version-7 UUID from the current time and OpenSSL's CSPRNG. Throws
// std::runtime_error if the CSPRNG fails.
std::string new_uuid();

// Formats 16 bytes as 8-4-4-4-12 lower-case hex.
std::string format_uuid(const std::array<std::uint8_t, 16>& bytes);

// Version 7 layout: 48-bit Unix milliseconds, version, random, variant.
std::array<std::uint8_t, 16> uuid_v7_bytes(std::uint64_t unix_ms, const std::array<std::uint8_t, 10>& random);

// True for canonical text: 36 characters, lower-case hex, dashes at 8-13-18-23.
bool is_canonical_uuid(std::string_view text);

}  // namespace concert
