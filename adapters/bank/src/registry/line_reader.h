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

  /// Throws std::runtime_error naming the file when it cannot be opened.
  LineReader(const std::filesystem::path& file, std::size_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// The next line without its end (LF, CRLF; a lone CR at the end is dropped too). kTooLong: the
  /// line exceeded the limit; it was skipped to its end and `line` holds its first bytes.
  Status next(std::string& line);

  std::int64_t line_number() const { return line_no_; }  ///< of the line last returned
  std::uint64_t bytes_read() const { return consumed_; }
  std::uint64_t size() const { return size_; }
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
  bool terminated_ = true;
};

}  // namespace hub::bank
