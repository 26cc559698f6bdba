#include "hub/imports/spooled_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "hub/core/error.h"

namespace hub::imports {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 64 * 1024;

struct DigestDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Digest = std::unique_ptr<EVP_MD_CTX, DigestDeleter>;

Digest new_sha256() {
  Digest d(EVP_MD_CTX_new());
  if (!d || EVP_DigestInit_ex(d.get(), EVP_sha256(), nullptr) != 1) {
    throw Error("sha256: cannot initialise the digest");
  }
  return d;
}

std::string hex_of(EVP_MD_CTX* d) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(d, md, &len) != 1) throw Error("sha256: EVP_DigestFinal_ex failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string errno_text() {
  return std::strerror(errno);
}

/// A unique name in `dir` for a file still being written.
fs::path temporary_name(const fs::path& dir) {
  static std::atomic<unsigned long long> counter{0};
  return dir / (".part-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
}

}  // namespace

SpooledFile spool_stream(std::istream& in, const fs::path& dir, std::uint64_t max_bytes,
                         bool keep_name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("import spool " + dir.string() + ": " + ec.message());
  const auto part = temporary_name(dir);
  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) throw Error("import spool " + part.string() + ": " + errno_text());
  auto fail = [&](const std::string& why) {
    ::close(fd);
    fs::remove(part, ec);
    throw Error(why);
  };
  auto digest = new_sha256();
  std::array<char, kChunk> buf;
  std::uint64_t size = 0;
  while (in) {
    in.read(buf.data(), buf.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    size += got;
    if (size > max_bytes) {
      fail("the file is larger than the import limit of " + std::to_string(max_bytes) + " bytes");
    }
    EVP_DigestUpdate(digest.get(), buf.data(), got);
    for (std::size_t done = 0; done < got;) {
      const auto n = ::write(fd, buf.data() + done, got - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("import spool " + part.string() + ": " + errno_text());
      }
      done += static_cast<std::size_t>(n);
    }
  }
  if (in.bad()) fail("the upload broke off after " + std::to_string(size) + " bytes");
  if (::fsync(fd) != 0) fail("import spool " + part.string() + ": fsync: " + errno_text());
  ::close(fd);

  SpooledFile out;
  out.sha256 = hex_of(digest.get());
  out.size = size;
  if (!keep_name) {
    out.path = part;
    return out;
  }
  out.path = dir / out.sha256;
  fs::rename(part, out.path, ec);  // the same content twice: the second rename replaces the first
  if (ec) {
    fs::remove(part);
    throw Error("import spool " + out.path.string() + ": " + ec.message());
  }
  // The rename is durable only once the directory is synced.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return out;
}

std::string sha256_of_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  auto digest = new_sha256();
  std::array<char, kChunk> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    EVP_DigestUpdate(digest.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  return hex_of(digest.get());
}

}  // namespace hub::imports
