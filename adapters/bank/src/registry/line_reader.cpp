#include "registry/line_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hub::bank {

namespace {
constexpr std::size_t kBuffer = 1 << 20;
}

LineReader::LineReader(const std::filesystem::path& file, std::size_t max_line_bytes)
    : LineReader(file, max_line_bytes, Range{}) {}

LineReader::LineReader(const std::filesystem::path& file, std::size_t max_line_bytes,
                       const Range& range)
    : max_(max_line_bytes), buf_(kBuffer), line_no_(range.lines_before) {
  f_ = std::fopen(file.c_str(), "rb");
  if (!f_) {
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  size_ = std::filesystem::file_size(file, ec);
  if (ec) size_ = 0;
  if (range.begin && std::fseek(f_, static_cast<long>(range.begin), SEEK_SET) != 0) {
    std::fclose(f_);
    throw std::runtime_error("cannot seek in " + file.string() + ": " + std::strerror(errno));
  }
  left_ = range.end == UINT64_MAX ? UINT64_MAX : range.end - range.begin;
}

LineReader::~LineReader() {
  if (f_) std::fclose(f_);
}

bool LineReader::fill() {
  if (eof_) return false;
  pos_ = 0;
  end_ = std::fread(buf_.data(), 1,
                    static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), left_)), f_);
  if (left_ != UINT64_MAX) left_ -= end_;
  if (end_ == 0) {
    if (std::ferror(f_))
      throw std::runtime_error("read error: " + std::string(std::strerror(errno)));
    eof_ = true;
    return false;
  }
  return true;
}

LineReader::Status LineReader::next(std::string& line) {
  line.clear();
  bool any = false;
  bool too_long = false;
  while (true) {
    if (pos_ == end_ && !fill()) break;
    any = true;
    const char* start = buf_.data() + pos_;
    const auto avail = end_ - pos_;
    const void* nl = std::memchr(start, '\n', avail);
    const std::size_t take = nl ? static_cast<const char*>(nl) - start : avail;
    if (!too_long) {
      if (line.size() + take > max_) {
        line.append(start, max_ - line.size());
        too_long = true;
      } else {
        line.append(start, take);
      }
    }
    pos_ += take;
    consumed_ += take;
    if (nl) {
      ++pos_;
      ++consumed_;
      ++line_no_;
      terminated_ = true;
      if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
      return too_long ? Status::kTooLong : Status::kLine;
    }
  }
  if (!any) return Status::kEof;
  ++line_no_;
  terminated_ = false;
  if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
  return too_long ? Status::kTooLong : Status::kLine;
}

std::string LineReader::head(const std::filesystem::path& file, std::size_t n) {
  std::string out(n, '\0');
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  out.resize(std::fread(out.data(), 1, n, f));
  std::fclose(f);
  return out;
}

}  // namespace hub::bank
