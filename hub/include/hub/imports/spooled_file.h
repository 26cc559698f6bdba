#pragma once
// An uploaded file written to the import spool before anyone is told it arrived: the hub
// acknowledges an import only once its bytes are on disk (fsync'ed) under their SHA-256, so a
// crash after the acknowledgement can always pick the file up again.

#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>

namespace hub::imports {

struct SpooledFile {
  std::filesystem::path path;  ///< <spool>/<sha256>, or a temporary name for dry runs
  std::string sha256;          ///< hex, lower case
  std::uint64_t size = 0;
};

/// Copies `in` to its end into `dir` (created when missing), hashing as it goes, in 64 KiB
/// pieces (memory does not grow with the file), then fsyncs and renames it to `<dir>/<sha256>`
/// (`keep_name` false: leaves it under a unique temporary name, the caller removes it).
/// Throws Error when more than `max_bytes` arrive (the partial file is removed) or on I/O errors.
SpooledFile spool_stream(std::istream& in, const std::filesystem::path& dir,
                         std::uint64_t max_bytes, bool keep_name = true);

/// SHA-256 of a file's content, hex; streams it.
std::string sha256_of_file(const std::filesystem::path& file);

}  // namespace hub::imports
