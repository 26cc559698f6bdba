#pragma once
// Streams a file line by line through a fixed buffer: memory never depends on the file's size or
// on the length of its longest line (a line longer than the limit is reported, not kept).

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace hub::bank {

class LineReader {
 public:
  enum class Status { kLine, kEof, kTooLong };

  /// The bytes [begin, end) of a file, `begin` at a line's start, whose first line is line
  /// `lines_before` + 1. Reading a file in parts on several threads gives the same lines.
  struct Range {
    std::uint64_t begin = 0;
    std::uint64_t end = UINT64_MAX;
    std::int64_t lines_before = 0;
  };

  /// Throws std::runtime_error naming the file when it cannot be opened.
  LineReader(const std::filesystem::path& file, std::size_t max_line_bytes);
  LineReader(const std::filesystem::path& file, std::size_t max_line_bytes, const Range& range);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// The next line without its end (LF, CRLF; a lone CR at the end is dropped too). kTooLong: the
  /// line exceeded the limit; it was skipped to its end and `line` holds its first bytes.
  Status next(std::string& line);

  std::int64_t line_number() const { return line_no_; }   ///< of the line last returned
  std::uint64_t bytes_read() const { return consumed_; }  ///< of the range
  std::uint64_t size() const { return size_; }            ///< of the whole file
  /// False when the last line returned ended at the end of the file without a line end.
  bool last_line_terminated() const { return terminated_; }

  /// Up to `n` bytes from the start of the file (for sniffing), without moving the reader.
  static std::string head(const std::filesystem::path& file, std::size_t n);

 private:
  bool fill();

  std::FILE* f_ = nullptr;
  std::size_t max_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  std::int64_t line_no_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t left_ = UINT64_MAX;  // bytes of the range not read into the buffer yet
  bool terminated_ = true;
};

}  // namespace hub::bank
