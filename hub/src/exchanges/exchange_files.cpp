#include "hub/exchanges/exchange_files.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "hub/core/error.h"

namespace hub::exchanges {

namespace {

std::string safe(const std::string& s, std::size_t max) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    out += ok ? c : '_';
    if (out.size() >= max) break;
  }
  return out.empty() ? "-" : out;
}

bool is_xml(const std::string& payload) {
  const auto b = payload.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  return b != std::string::npos && payload[b] == '<';
}

bool same_content(const std::filesystem::path& file, const std::string& content) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size != content.size()) return false;
  std::ifstream in(file, std::ios::binary);
  std::string have((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return have == content;
}

}  // namespace

std::string exchange_file_name(const ExchangeRow& row) {
  std::string at;
  for (char c : row.at) {
    if (c != '-' && c != ':') at += c;
  }
  char id[24];
  std::snprintf(id, sizeof id, "%012lld", static_cast<long long>(row.id));
  return safe(at, 32) + "_" + safe(row.operation, 80) + "_" + safe(row.message_guid, 80) + "_" +
         id + (row.direction == "out" ? "_request" : "_response") +
         (is_xml(row.payload) ? ".xml" : ".txt");
}

ExchangeFileWriter::ExchangeFileWriter(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec || !std::filesystem::is_directory(dir_))
    throw Error("cannot create directory " + dir_.string() +
                (ec ? ": " + ec.message() : std::string(": not a directory")));
}

ExchangeFileWriter::Outcome ExchangeFileWriter::write(const ExchangeRow& row) {
  if (row.payload.empty()) {
    ++skipped_;
    return Outcome::kSkipped;
  }
  const auto path = dir_ / exchange_file_name(row);
  if (same_content(path, row.payload)) {
    ++unchanged_;
    return Outcome::kUnchanged;
  }
  // The temporary name is unique to this process so two exports into one directory do not
  // write into each other's half-done file.
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(row.payload.data(), static_cast<std::streamsize>(row.payload.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw Error("cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error("cannot rename " + tmp.string() + " to " + path.filename().string());
  }
  ++written_;
  bytes_ += row.payload.size();
  return Outcome::kWritten;
}

}  // namespace hub::exchanges
