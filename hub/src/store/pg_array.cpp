#include "hub/store/pg_array.h"

#include <algorithm>
#include <cstring>

namespace hub::store {

void append_array_element(std::string& out, std::string_view value) {
  out += '"';
  // Copy the runs between characters that need a backslash in one append each: bodies are XML,
  // where '"' is frequent in attributes but most of the text is plain. Each of the two is found
  // with memchr, and where the next one of each lies is kept until it is passed: find_first_of
  // over a set called memchr once per character of the body (14% of Ingress's CPU on registry
  // batches of 300 KB).
  const char* const begin = value.data();
  const char* const end = begin + value.size();
  auto next = [end](const char* from, char c) {
    const void* hit = std::memchr(from, c, static_cast<std::size_t>(end - from));
    return hit ? static_cast<const char*>(hit) : end;
  };
  const char* quote = next(begin, '"');
  const char* backslash = next(begin, '\\');
  const char* start = begin;
  while (true) {
    const char* hit = std::min(quote, backslash);
    out.append(start, static_cast<std::size_t>(hit - start));
    if (hit == end) break;
    out += '\\';
    out += *hit;
    start = hit + 1;
    if (hit == quote) quote = next(start, '"');
    if (hit == backslash) backslash = next(start, '\\');
  }
  out += '"';
}

void append_array_element(std::string& out, const std::optional<std::string>& value) {
  if (!value) {
    out += "NULL";
    return;
  }
  append_array_element(out, std::string_view(*value));
}

PgArrayBuilder::PgArrayBuilder(std::size_t expected_bytes) {
  out_.reserve(expected_bytes + expected_bytes / 16 + 16);
  out_ += '{';
}

void PgArrayBuilder::separate() {
  if (!first_) out_ += ',';
  first_ = false;
}

void PgArrayBuilder::add(std::string_view value) {
  separate();
  append_array_element(out_, value);
}

void PgArrayBuilder::add_or_null(const std::optional<std::string>& value) {
  separate();
  append_array_element(out_, value);
}

void PgArrayBuilder::add_null() {
  separate();
  out_ += "NULL";
}

std::string PgArrayBuilder::finish() {
  out_ += '}';
  std::string done = std::move(out_);
  out_ = "{";
  first_ = true;
  return done;
}

std::string pg_array_literal(const std::vector<std::optional<std::string>>& values) {
  std::size_t bytes = 0;
  for (const auto& v : values) bytes += v ? v->size() + 3 : 5;
  PgArrayBuilder b(bytes);
  for (const auto& v : values) b.add_or_null(v);
  return b.finish();
}

std::string pg_array_literal(const std::vector<std::string>& values) {
  std::size_t bytes = 0;
  for (const auto& v : values) bytes += v.size() + 3;
  PgArrayBuilder b(bytes);
  for (const auto& v : values) b.add(std::string_view(v));
  return b.finish();
}

}  // namespace hub::store
