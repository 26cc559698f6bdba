#pragma once
// Identifiers and timestamps the GIS protocol needs: random (v4) GUIDs for MessageGUID and
// TransportGUID, xs:dateTime text.

#include <chrono>
#include <string>

namespace hub::adapters::gis_zhkh {

/// A random RFC 4122 version 4 GUID, lower case.
std::string new_guid();
/// xs:dateTime in UTC with milliseconds: 2026-12-01T09:07:12.178Z.
std::string format_time(std::chrono::system_clock::time_point t);
/// xs:date (UTC) of `t`: 2026-12-01.
std::string format_date(std::chrono::system_clock::time_point t);
/// xs:date of `t` in Moscow time (UTC+3 all year), the calendar GIS ZhKH files things under: the
/// date filters of export requests are days of that calendar. From 21:00 UTC it is the next day.
std::string moscow_date(std::chrono::system_clock::time_point t);
/// Parses YYYY-MM-DD as midnight UTC; throws std::invalid_argument naming the text.
std::chrono::system_clock::time_point parse_date(const std::string& text);
/// Lower-case copy.
std::string lower(std::string s);

}  // namespace hub::adapters::gis_zhkh
