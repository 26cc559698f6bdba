#pragma once
// Streaming reader of 1CClientBankExchange files (formats 1.01–1.03): checks the structure and
// hands over the header and each section as it closes. Memory is one section, whatever the size
// of the file; a line longer than the limit is refused, never kept.
//
// Structure: the first line is exactly `1CClientBankExchange`; then header keys; then any number
// of `СекцияРасчСчет` … `КонецРасчСчет` and `СекцияДокумент=<вид>` … `КонецДокумента`; then
// `КонецФайла`. Fatal (the reader stops and names the line): another first line, a section opened
// inside a section or closed without being opened, a missing `КонецФайла` (truncated file),
// control characters (binary data), a line over the limit, a line that is not valid in the
// encoding the file was found to be in. Reported and tolerated (ExchangeVisitor::issue): unknown
// keys (once per key and section kind), unknown document kinds, repeated header keys that are
// not repeatable, lines that are not Ключ=Значение, text after `КонецФайла`, an unknown format
// version, and a declared `Кодировка` that the content contradicts.
//
// Encoding: `Кодировка=Windows` (cp1251) or `DOS` (cp866) is read from the first 64 KiB in every
// candidate encoding, then the content is sniffed (sniff_encoding) and the declaration wins when
// it is plausible: public samples declare Windows and are UTF-8 on disk. A UTF-8 BOM means UTF-8.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client_bank/exchange_section.h"
#include "encoding.h"
#include "hub/plugin/file_parser.h"

namespace hub::bank {

inline constexpr std::string_view kExchangeFirstLine = "1CClientBankExchange";

class ExchangeVisitor {
 public:
  virtual ~ExchangeVisitor() = default;
  /// Once, when the first section opens (or at КонецФайла when there is none).
  virtual void header(const ExchangeSection& header) {}
  virtual void balance(const ExchangeSection& section) {}
  virtual void document(const ExchangeSection& section) {}
  /// A problem that does not stop the file.
  virtual void issue(plugin::InputError e) {}
  /// Bytes read so far, every 256 KiB and at the end.
  virtual void progress(std::uint64_t bytes_read, std::uint64_t bytes_total) {}
};

struct ExchangeReaderOptions {
  std::size_t max_line_bytes = 64 * 1024;
  std::size_t sniff_bytes = 64 * 1024;
};

/// How the file's bytes are read.
struct ExchangeEncoding {
  Encoding encoding = Encoding::kCp1251;  ///< what the lines are decoded with
  std::optional<Encoding> declared;       ///< from Кодировка=, when recognised
  std::string declared_text;              ///< the value as written ("Windows"), "" when absent
  std::int64_t declared_line = 0;         ///< line of Кодировка= (0 when absent)
  bool bom = false;                       ///< the file starts with a UTF-8 BOM
};

/// Finds Кодировка= in `head` (the first bytes of a file) and sniffs the content.
ExchangeEncoding detect_exchange_encoding(std::string_view head);

struct ExchangeReadResult {
  bool complete = false;  ///< read through КонецФайла without a fatal error
  std::vector<plugin::InputError> fatal;
  ExchangeEncoding encoding;
  std::string version;  ///< ВерсияФормата as written
  std::int64_t lines = 0;
  std::uint64_t bytes = 0;
};

/// Reads `file` start to end (throws std::runtime_error when it cannot be opened or read).
ExchangeReadResult read_exchange(const std::filesystem::path& file, ExchangeVisitor& visitor,
                                 const ExchangeReaderOptions& options = {});

/// The document kinds of the 1C standard and those banks commonly add; others are reported.
bool is_known_document_kind(std::string_view kind);

}  // namespace hub::bank
