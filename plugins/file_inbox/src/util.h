#pragma once
// Small helpers of the file inbox that the hub would otherwise provide: SHA-256 of a file, JSON
// string escaping for reports, ISO-8601 timestamps and UTF-8 checks.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace hub::plugins::file_inbox {

/// Lower-case hex SHA-256 of the file's content; throws std::runtime_error naming the file.
std::string sha256_file(const std::filesystem::path& file);

/// `s` as a quoted JSON string.
std::string json_quote(std::string_view s);

/// "2026-01-01T10:00:00Z", "...T10:00:00.123+03:00" or a bare date; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text);

/// True when `s` is valid UTF-8 made only of characters XML 1.0 allows.
bool is_xml_safe_utf8(std::string_view s);

/// Escapes &, <, >, " for XML text and attribute values.
std::string xml_escape(std::string_view s);

/// Reads a whole file, refusing files larger than `max_bytes`.
std::string read_file(const std::filesystem::path& file, std::uintmax_t max_bytes);

}  // namespace hub::plugins::file_inbox
