#include "client_bank/exchange_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <utility>

#include "registry/line_reader.h"

namespace hub::bank {
namespace {

using plugin::InputError;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kBalanceBegin = "СекцияРасчСчет";
constexpr std::string_view kBalanceEnd = "КонецРасчСчет";
constexpr std::string_view kDocumentBegin = "СекцияДокумент";
constexpr std::string_view kDocumentEnd = "КонецДокумента";
constexpr std::string_view kFileEnd = "КонецФайла";
constexpr std::string_view kEncodingKey = "Кодировка";

// Keys of the 1C standard (1.01–1.03) and of the public parsers cross-checked in formats.md §2.
constexpr std::array<std::string_view, 12> kHeaderKeys = {
    "ВерсияФормата", "Кодировка", "Отправитель", "Получатель", "ДатаСоздания", "ВремяСоздания",
    "ДатаНачала",    "ДатаКонца", "РасчСчет",    "Документ",   "Версия",       "Кодировка1"};
constexpr std::array<std::string_view, 2> kRepeatableHeaderKeys = {"РасчСчет", "Документ"};
constexpr std::array<std::string_view, 7> kBalanceKeys = {
    "ДатаНачала",     "ДатаКонца",    "РасчСчет",       "НачальныйОстаток",
    "ВсегоПоступило", "ВсегоСписано", "КонечныйОстаток"};
constexpr std::array<std::string_view, 74> kDocumentKeys = {
    "Номер", "Дата", "Сумма", "КвитанцияДата", "КвитанцияВремя", "КвитанцияСодержание",
    "ПлательщикСчет", "ДатаСписано", "Плательщик", "ПлательщикИНН", "Плательщик1", "Плательщик2",
    "Плательщик3", "Плательщик4", "ПлательщикРасчСчет", "ПлательщикБанк1", "ПлательщикБанк2",
    "ПлательщикБИК", "ПлательщикКорсчет", "ПолучательСчет", "ДатаПоступило", "Получатель",
    "ПолучательИНН", "Получатель1", "Получатель2", "Получатель3", "Получатель4",
    "ПолучательРасчСчет", "ПолучательБанк1", "ПолучательБанк2", "ПолучательБИК",
    "ПолучательКорсчет", "ВидПлатежа", "КодНазПлатежа", "ВидОплаты", "Код", "НазначениеПлатежа",
    "НазначениеПлатежа1", "НазначениеПлатежа2", "НазначениеПлатежа3", "НазначениеПлатежа4",
    "НазначениеПлатежа5", "НазначениеПлатежа6", "СтатусСоставителя", "ПлательщикКПП",
    "ПолучательКПП", "ПоказательКБК", "ОКАТО", "ПоказательОснования", "ПоказательПериода",
    "ПоказательНомера", "ПоказательДаты", "ПоказательТипа", "Очередность", "СрокАкцепта",
    "ВидАккредитива", "СрокПлатежа", "УсловиеОплаты1", "УсловиеОплаты2", "УсловиеОплаты3",
    "ПлатежПоПредст", "ДополнУсловия", "НомерСчетаПоставщика", "ДатаОтсылкиДок",
    // Written by current bank systems although not in the 1C table.
    "ДатаВалютирования", "ИдентификаторПлатежа", "НазначениеПлатежаКод", "ПлательщикОКПО",
    "ПолучательОКПО", "ВидОперации", "КодВыплат", "ДатаПоступилоВБанк", "ПлательщикБанкГород",
    "ПолучательБанкГород"};

constexpr std::array<std::string_view, 12> kDocumentKinds = {"Платежное поручение",
                                                             "Платёжное поручение",
                                                             "Платежное требование",
                                                             "Платёжное требование",
                                                             "Инкассовое поручение",
                                                             "Аккредитив",
                                                             "Банковский ордер",
                                                             "Мемориальный ордер",
                                                             "Платежный ордер",
                                                             "Платёжный ордер",
                                                             "Объявление на взнос наличными",
                                                             "Денежный чек"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& a, std::string_view v) {
  return std::find(a.begin(), a.end(), v) != a.end();
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return (b < 0x20 && b != '\t') || b == 0x7F;
  });
}

std::optional<Encoding> encoding_from_declaration(std::string_view text) {
  std::string v(trim_blanks(text));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "windows" || v == "win") return Encoding::kCp1251;
  if (v == "dos") return Encoding::kCp866;
  return encoding_from_name(v);
}

class Reader {
 public:
  Reader(const std::filesystem::path& file, ExchangeVisitor& visitor,
         const ExchangeReaderOptions& options)
      : visitor_(visitor), options_(options), lines_(file, options.max_line_bytes) {
    result_.encoding = detect_exchange_encoding(LineReader::head(file, options.sniff_bytes));
    const auto& enc = result_.encoding;
    if (enc.declared_line > 0) {
      if (!enc.declared) {
        issue(enc.declared_line, std::string(kEncodingKey),
              "unknown encoding '" + enc.declared_text + "'; read as " +
                  std::string(name_of(enc.encoding)) + " by its content");
      } else if (*enc.declared != enc.encoding) {
        issue(enc.declared_line, std::string(kEncodingKey),
              "declared " + enc.declared_text + " (" + std::string(name_of(*enc.declared)) +
                  ") but the content is " + std::string(name_of(enc.encoding)) + "; read as " +
                  std::string(name_of(enc.encoding)));
      }
    }
  }

  ExchangeReadResult run() {
    std::string raw;
    std::string line;
    std::uint64_t next_progress = kProgressStep;
    while (true) {
      const auto status = lines_.next(raw);
      if (status == LineReader::Status::kEof) break;
      const std::int64_t n = lines_.line_number();
      result_.lines = n;
      if (status == LineReader::Status::kTooLong) {
        return fail(n, "",
                    "line longer than " + std::to_string(options_.max_line_bytes) +
                        " bytes: not a 1CClientBankExchange file");
      }
      std::string_view bytes = raw;
      if (n == 1 && bytes.substr(0, kBom.size()) == kBom) bytes.remove_prefix(kBom.size());
      line.clear();
      if (!decode_to_utf8(bytes, result_.encoding.encoding, line)) {
        return fail(n, "",
                    "not valid " + std::string(name_of(result_.encoding.encoding)) +
                        " (the encoding the file's first " +
                        std::to_string(options_.sniff_bytes / 1024) +
                        " KiB are in): broken or mixed encoding");
      }
      if (has_control_chars(line)) {
        return fail(n, "", "control characters: binary data, not a 1CClientBankExchange file");
      }
      if (!take(n, trim_blanks(line))) return finish();
      if (lines_.bytes_read() >= next_progress) {
        visitor_.progress(lines_.bytes_read(), lines_.size());
        next_progress = lines_.bytes_read() + kProgressStep;
      }
    }
    visitor_.progress(lines_.bytes_read(), lines_.size());
    if (state_ == State::kStart) return fail(0, "", "empty file: not a 1CClientBankExchange file");
    if (state_ == State::kBalance || state_ == State::kDocument) {
      return fail(result_.lines, "",
                  "file ends inside the section opened at line " +
                      std::to_string(section_.begin_line) + " (no " +
                      std::string(state_ == State::kBalance ? kBalanceEnd : kDocumentEnd) +
                      ", no " + std::string(kFileEnd) + "): the file is truncated");
    }
    if (state_ != State::kDone) {
      return fail(result_.lines, "",
                  "no " + std::string(kFileEnd) + " after line " + std::to_string(result_.lines) +
                      ": the file is truncated");
    }
    result_.complete = true;
    return finish();
  }

 private:
  enum class State { kStart, kHeader, kBalance, kDocument, kDone };
  static constexpr std::uint64_t kProgressStep = 256 * 1024;

  ExchangeReadResult finish() {
    result_.bytes = lines_.bytes_read();
    return std::move(result_);
  }

  ExchangeReadResult fail(std::int64_t line, std::string field, std::string reason) {
    result_.fatal.push_back({line, std::move(field), std::move(reason)});
    result_.complete = false;
    return finish();
  }

  void issue(std::int64_t line, std::string field, std::string reason) {
    visitor_.issue({line, std::move(field), std::move(reason)});
  }

  bool fatal(std::int64_t line, std::string reason) {
    result_.fatal.push_back({line, "", std::move(reason)});
    return false;
  }

  void header_done() {
    if (header_sent_) return;
    header_sent_ = true;
    result_.version = header_.value("ВерсияФормата");
    if (result_.version.empty()) {
      issue(header_.begin_line, "ВерсияФормата", "no format version; read as 1.03");
    } else if (result_.version != "1.01" && result_.version != "1.02" &&
               result_.version != "1.03") {
      issue(header_.find("ВерсияФормата")->line, "ВерсияФормата",
            "format version " + result_.version + " is not 1.01-1.03; read as 1.03");
    }
    visitor_.header(header_);
  }

  void unknown_key(ExchangeSection::Kind kind, const std::string& key, std::int64_t line) {
    if (!reported_keys_.insert({static_cast<int>(kind), key}).second) return;
    const char* where = kind == ExchangeSection::Kind::kHeader    ? "the header"
                        : kind == ExchangeSection::Kind::kBalance ? "СекцияРасчСчет"
                                                                  : "СекцияДокумент";
    issue(line, key, std::string("unknown key in ") + where + ", ignored (reported once)");
  }

  /// One decoded, trimmed line. False stops the file (fatal already recorded).
  bool take(std::int64_t n, std::string_view line) {
    if (state_ == State::kStart) {
      if (line != kExchangeFirstLine) {
        return fatal(n, "the first line is not " + std::string(kExchangeFirstLine) +
                            ": not a 1CClientBankExchange file");
      }
      state_ = State::kHeader;
      header_.kind = ExchangeSection::Kind::kHeader;
      header_.begin_line = n;
      return true;
    }
    if (line.empty()) return true;
    if (state_ == State::kDone) {
      if (!after_end_reported_) {
        after_end_reported_ = true;
        issue(n, "", "text after " + std::string(kFileEnd) + " ignored");
      }
      return true;
    }
    const auto eq = line.find('=');
    const std::string_view key = trim_blanks(line.substr(0, eq));
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : line.substr(eq + 1);
    const bool in_section = state_ == State::kBalance || state_ == State::kDocument;

    if (key == kBalanceBegin || key == kDocumentBegin) {
      if (in_section) {
        return fatal(n, std::string(key) + " inside the section opened at line " +
                            std::to_string(section_.begin_line) + ", which is not closed");
      }
      header_done();
      section_ = ExchangeSection{};
      section_.begin_line = n;
      if (key == kBalanceBegin) {
        section_.kind = ExchangeSection::Kind::kBalance;
        state_ = State::kBalance;
      } else {
        section_.kind = ExchangeSection::Kind::kDocument;
        section_.document_kind = std::string(trim_blanks(value));
        state_ = State::kDocument;
        if (section_.document_kind.empty()) {
          issue(n, std::string(kDocumentBegin), "document kind is empty");
        } else if (!is_known_document_kind(section_.document_kind) &&
                   reported_kinds_.insert(section_.document_kind).second) {
          issue(n, std::string(kDocumentBegin),
                "unknown document kind '" + section_.document_kind + "', read as a document");
        }
      }
      return true;
    }
    if (key == kBalanceEnd || key == kDocumentEnd) {
      const bool matches = (key == kBalanceEnd && state_ == State::kBalance) ||
                           (key == kDocumentEnd && state_ == State::kDocument);
      if (!matches) {
        return fatal(n, in_section ? std::string(key) + " closes the section opened at line " +
                                         std::to_string(section_.begin_line) + " of another kind"
                                   : std::string(key) + " without an open section");
      }
      section_.end_line = n;
      if (state_ == State::kBalance) {
        visitor_.balance(section_);
      } else {
        visitor_.document(section_);
      }
      state_ = State::kHeader;
      return true;
    }
    if (key == kFileEnd) {
      if (in_section) {
        return fatal(n, std::string(kFileEnd) + " inside the section opened at line " +
                            std::to_string(section_.begin_line) + ", which is not closed");
      }
      header_done();
      state_ = State::kDone;
      return true;
    }
    if (eq == std::string_view::npos || key.empty()) {
      issue(n, "", "not a Ключ=Значение line, ignored: '" + std::string(line.substr(0, 80)) + "'");
      return true;
    }
    ExchangeField field{std::string(key), std::string(value), n};
    switch (state_) {
      case State::kHeader:
        if (header_sent_) {
          // The 1C format has no keys between sections; keep reading.
          if (!outside_reported_) {
            outside_reported_ = true;
            issue(n, field.key, "key outside any section, ignored (reported once)");
          }
          return true;
        }
        if (!contains(kHeaderKeys, field.key)) {
          unknown_key(ExchangeSection::Kind::kHeader, field.key, n);
        } else if (!contains(kRepeatableHeaderKeys, field.key) && header_.find(field.key)) {
          issue(n, field.key,
                "repeated header key (first at line " +
                    std::to_string(header_.find(field.key)->line) + "), the first value is kept");
          return true;
        }
        header_.fields.push_back(std::move(field));
        return true;
      case State::kBalance:
        if (!contains(kBalanceKeys, field.key)) unknown_key(section_.kind, field.key, n);
        section_.fields.push_back(std::move(field));
        return true;
      case State::kDocument:
        if (!contains(kDocumentKeys, field.key)) unknown_key(section_.kind, field.key, n);
        section_.fields.push_back(std::move(field));
        return true;
      default:
        return true;
    }
  }

  ExchangeVisitor& visitor_;
  ExchangeReaderOptions options_;
  LineReader lines_;
  ExchangeReadResult result_;
  State state_ = State::kStart;
  ExchangeSection header_;
  ExchangeSection section_;
  bool header_sent_ = false;
  bool after_end_reported_ = false;
  bool outside_reported_ = false;
  std::set<std::pair<int, std::string>> reported_keys_;
  std::set<std::string> reported_kinds_;
};

}  // namespace

bool is_known_document_kind(std::string_view kind) {
  return contains(kDocumentKinds, kind);
}

ExchangeEncoding detect_exchange_encoding(std::string_view head) {
  ExchangeEncoding out;
  if (head.substr(0, kBom.size()) == kBom) {
    out.bom = true;
    out.encoding = Encoding::kUtf8;
    head.remove_prefix(kBom.size());
  }
  // The key in each candidate encoding; its value is ASCII in every file seen (Windows, DOS).
  for (Encoding e : {Encoding::kUtf8, Encoding::kCp1251, Encoding::kCp866, Encoding::kKoi8r}) {
    std::string key;
    encode_from_utf8(std::string(kEncodingKey) + "=", e, key);
    std::size_t pos = head.find(key);
    while (pos != std::string_view::npos && pos != 0 && head[pos - 1] != '\n') {
      pos = head.find(key, pos + 1);
    }
    if (pos == std::string_view::npos) continue;
    const std::size_t start = pos + key.size();
    const std::size_t end = std::min(head.find_first_of("\r\n", start), head.size());
    std::string text;
    decode_to_utf8(head.substr(start, end - start), e == Encoding::kUtf8 ? Encoding::kCp1251 : e,
                   text);
    out.declared_text = std::string(trim_blanks(text));
    out.declared = encoding_from_declaration(out.declared_text);
    out.declared_line = 1 + std::count(head.begin(), head.begin() + pos, '\n');
    break;
  }
  if (!out.bom) out.encoding = sniff_encoding(head, out.declared);
  return out;
}

ExchangeReadResult read_exchange(const std::filesystem::path& file, ExchangeVisitor& visitor,
                                 const ExchangeReaderOptions& options) {
  Reader reader(file, visitor, options);
  return reader.run();
}

}  // namespace hub::bank
