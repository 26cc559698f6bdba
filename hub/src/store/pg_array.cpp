#include "hub/store/pg_array.h"

#include <cstring>

namespace hub::store {

void append_array_element(std::string& out, std::string_view value) {
  out += '"';
  // Copy the runs between characters that need a backslash in one append each: bodies are XML,
  // where '"' is frequent in attributes but most of the text is plain.
  std::size_t start = 0;
  while (start < value.size()) {
    const std::size_t hit = value.find_first_of("\"\\", start);
    if (hit == std::string_view::npos) {
      out.append(value.data() + start, value.size() - start);
      break;
    }
    out.append(value.data() + start, hit - start);
    out += '\\';
    out += value[hit];
    start = hit + 1;
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
