#pragma once
// Exchange-log rows as files in a directory, one per request and response:
//   20261201T140005.123456Z_importAccountData_<MessageGUID>_000000000042_request.xml
// (UTC time first so a listing sorts by time; operation and our MessageGUID identify the
// exchange; the row id keeps the several getState polls of one request apart; "request" for
// rows sent, "response" for rows received). Payloads that are not XML (a transport error's text)
// get ".txt". Each file is written to a temporary name and renamed, so a reader never sees half
// a file; a file already there with the same content is left alone, so exporting into the same
// directory again writes nothing new.

#include <cstdint>
#include <filesystem>
#include <string>

#include "hub/exchanges/exchange_log.h"

namespace hub::exchanges {

/// The file name of `row` (characters outside [A-Za-z0-9._-] in operation and GUID become '_').
std::string exchange_file_name(const ExchangeRow& row);

class ExchangeFileWriter {
 public:
  /// Creates `dir` if needed; throws hub::Error naming it when it cannot.
  explicit ExchangeFileWriter(std::filesystem::path dir);

  enum class Outcome { kWritten, kUnchanged, kSkipped };
  /// Writes the row's payload (kSkipped for an empty one). Throws hub::Error naming the file
  /// when the disk refuses.
  Outcome write(const ExchangeRow& row);

  std::int64_t written() const { return written_; }
  std::int64_t unchanged() const { return unchanged_; }
  std::int64_t skipped() const { return skipped_; }
  std::uint64_t bytes_written() const { return bytes_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::int64_t written_ = 0;
  std::int64_t unchanged_ = 0;
  std::int64_t skipped_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace hub::exchanges
