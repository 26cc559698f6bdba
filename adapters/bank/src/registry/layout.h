#pragma once
// A bank registry layout: the data that describes one bank's text registry (payments in or debts
// out). Loaded from mappings/bank/<name>.yaml; a new bank is a new YAML file, not new code. The
// same Layout drives the reader (RegistryReader) and the writer (RegistryWriter).
//
// A record line is split by `separator` into tokens. Tokens `TAG:value` whose TAG the layout
// declares under `tags` are taken out first (anywhere in the line); the rest are read in order by
// `fields`: plain fields take one token each, a block repeats groups of its fields until its
// `close` marker (a token equal to the marker, or starting with it: `:[!]next`). Fields after the
// last block are the tail: the tail is anchored at the end of the line, so a block whose marker is
// missing still ends where the tail starts. Blocks may instead be opened by a marker glued to
// their first value (BillDirect's `:[!]`), each ending where the next one opens.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "encoding.h"

namespace hub::bank {

/// A layout file that cannot be used: names the file, the line and the key.
class LayoutError : public std::runtime_error {
 public:
  LayoutError(const std::string& file, int line, const std::string& key, const std::string& why)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + key + ": " + why),
        file_(file),
        line_(line),
        key_(key) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
};

enum class LayoutKind { kPayments, kDebts };
enum class FieldType { kText, kAmount, kDate, kDateTime, kPeriod, kInt, kQuantity };
/// kRublesRounded: whole rubles (BillDirect writes footer sums so); compared to ±50 kopecks.
enum class AmountUnit { kRubles, kKopecks, kRublesRounded };
enum class FooterKind { kNone, kLine, kFileSum, kCheckColumns };
enum class PeriodDefault { kNone, kPaymentMonth, kPreviousMonth };

struct FieldSpec {
  std::string name;  ///< the bank's name of the field (as in its template)
  std::string role;  ///< canonical meaning (account, amount, paid_at, ...); empty = unused
  FieldType type = FieldType::kText;
  std::string format;              ///< date/datetime/period format, e.g. dd/MM/yyyy, MMyyyy
  std::optional<AmountUnit> unit;  ///< amounts: overrides the layout's unit
  bool required = false;
  std::string value;   ///< writer: fixed text; {placeholders} from the bank's export config
  std::string prefix;  ///< a marker glued before the value (":[!]062025"): checked, stripped
  int line = 0;        ///< line in the layout file, for errors
};

struct BlockSpec {
  std::string name;   ///< meters | services
  std::string close;  ///< closing marker: "!" or ":[!]"; may be empty when `open` is set
  std::string open;   ///< opening marker glued to the block's first value (":[!]id"); a token
                      ///< that is only the marker is an empty block; the next block's opening
                      ///< marker ends this one
  std::vector<FieldSpec> fields;
  int line = 0;
};

/// One entry of `fields`: a plain field or a repeating block.
struct Item {
  bool is_block = false;
  FieldSpec field;
  BlockSpec block;
};

/// `TAG:value` tokens. `numbered`: TAG is a prefix followed by a number (CounterVal_1:).
struct TagSpec {
  std::string tag;
  std::string role;
  FieldType type = FieldType::kText;
  bool numbered = false;
  int line = 0;
};

/// A header line starting with `prefix` (#FILESUM 123.45, #TYPE 7, #SERVICE 42).
struct Directive {
  std::string prefix;
  std::string role;   ///< "sum" (the file's total) or empty
  std::string value;  ///< writer: fixed text with {placeholders}; empty for role sum
};

struct FooterSpec {
  FooterKind kind = FooterKind::kNone;
  std::string prefix;               ///< kLine: first token of the footer line, e.g. "="
  std::vector<std::string> fields;  ///< kLine: roles of the tokens after the prefix: count, sum
  AmountUnit sum_unit = AmountUnit::kRubles;
  std::string count_field;  ///< kCheckColumns: field (by role) with the row count
  std::string sum_field;    ///< kCheckColumns: field (by role) with the total
  bool required = true;
};

/// The file-name rule, e.g. "{inn}_{rs}_{seq}_{mmyy}.txt" (ИНН_РС_НОМЕР_ММГГ.txt).
struct FileNameRule {
  std::string pattern;  ///< empty = no rule
  bool check = false;   ///< on import: refuse files whose name breaks the rule
};

struct Layout {
  std::string name;
  std::string file;  ///< where it was loaded from
  std::string description;
  LayoutKind kind = LayoutKind::kPayments;
  std::string agent_code;  ///< payment.received agent/code, and the idempotency key's bank id
  std::string agent_name, agent_inn, agent_bik;
  Encoding encoding = Encoding::kCp1251;
  bool sniff = true;  ///< detect the real encoding when the declared one does not fit
  std::string separator = ";";
  bool trailing_separator = false;  ///< each field is followed by the separator (a;b;c;)
  bool trim = false;                ///< strip blanks around tokens (`a | b`)
  bool crlf = true;                 ///< writer line ends
  AmountUnit unit = AmountUnit::kRubles;
  char decimal = '.';  ///< writer: decimal separator of ruble amounts (the reader takes . or ,)
  std::size_t skip_lines = 0;  ///< leading lines without data (column titles)
  std::vector<Directive> directives;
  std::vector<Item> items;
  std::vector<TagSpec> tags;
  FooterSpec footer;
  FileNameRule file_name;
  PeriodDefault period_default = PeriodDefault::kNone;
  std::string meter_id;  ///< numbered meter tags: id template, "{account}-{n}"
  std::size_t max_line_bytes = 64 * 1024;

  /// Number of fields after the last block (anchored at the end of the line).
  std::size_t tail_size() const;
  bool has_blocks() const;
  /// The plain field (not in a block) with `role`, or null.
  const FieldSpec* field_with_role(const std::string& role) const;
  bool has_role(const std::string& role) const;
};

/// Loads and checks one layout file. Throws LayoutError (file, line, key).
Layout load_layout(const std::filesystem::path& file);
/// Every *.yaml / *.yml in `dir`, sorted by name; names must be unique. Throws LayoutError, or
/// std::runtime_error when `dir` is not a directory.
std::vector<Layout> load_layouts(const std::filesystem::path& dir);

}  // namespace hub::bank
