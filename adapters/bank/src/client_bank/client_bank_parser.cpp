#include "client_bank/client_bank_parser.h"

#include <map>
#include <set>
#include <vector>

#include "client_bank/exchange_values.h"
#include "client_bank/statement_line.h"
#include "client_bank/statement_messages.h"

namespace hub::bank {
namespace {

using plugin::InputError;

struct AccountTotals {
  std::int64_t documents_in = 0, documents_out = 0;  ///< what the documents add up to
  std::optional<StatementBalance> balance;
  std::int64_t line = 0;
};

/// Pass 1: the whole-file checks and what pass 2 needs to know in advance.
class CheckPass : public ExchangeVisitor {
 public:
  CheckPass(plugin::ParseSink& sink, StatementSourceInfo& source) : sink_(sink), source_(source) {}

  void header(const ExchangeSection& h) override {
    header_ = h;
    for (const auto& a : h.values("РасчСчет")) {
      if (!a.empty()) accounts_.insert(a);
    }
  }
  void balance(const ExchangeSection& s) override {
    auto r = build_statement_balance(s, header_, source_);
    if (r.mismatch) fatal_.push_back(*r.mismatch);
    const std::string account = s.value("РасчСчет");
    if (!account.empty()) accounts_.insert(account);
    if (r.balance) {
      auto& t = totals_[r.balance->account];
      t.balance = r.balance;
      t.line = s.begin_line;
    }
  }
  void document(const ExchangeSection& d) override {
    documents_.push_back(d.begin_line);
    sums(d);
  }
  void progress(std::uint64_t read, std::uint64_t total) override { sink_.progress(read, total); }

  const std::set<std::string>& accounts() const { return accounts_; }
  std::int64_t document_count() const { return static_cast<std::int64_t>(documents_.size()); }
  std::map<std::string, AccountTotals>& totals() { return totals_; }
  std::vector<InputError>& fatal() { return fatal_; }

  /// Documents are summed per own account once the accounts are known: balance sections come
  /// before the documents in the format, but the sums are kept raw and attributed at the end.
  void attribute() {
    for (const auto& [payer, payee, kopecks] : raw_) {
      if (totals_.count(payer)) totals_[payer].documents_out += kopecks;
      if (totals_.count(payee)) totals_[payee].documents_in += kopecks;
    }
  }

 private:
  void sums(const ExchangeSection& d) {
    const auto kopecks = parse_exchange_amount(d.value("Сумма"));
    if (!kopecks) return;
    raw_.push_back({payer_account_of(d), payee_account_of(d), *kopecks});
  }

  struct Raw {
    std::string payer, payee;
    std::int64_t kopecks;
  };
  plugin::ParseSink& sink_;
  StatementSourceInfo& source_;
  ExchangeSection header_;
  std::set<std::string> accounts_;
  std::map<std::string, AccountTotals> totals_;
  std::vector<InputError> fatal_;
  std::vector<std::int64_t> documents_;  // opening lines
  std::vector<Raw> raw_;
};

struct Counts {
  std::int64_t documents = 0, lines = 0, skipped = 0, payments = 0, errors = 0;
  std::int64_t sum = 0, incoming = 0, outgoing = 0, payments_sum = 0;
};

/// Pass 2: messages and per-record errors.
class EmitPass : public ExchangeVisitor {
 public:
  EmitPass(plugin::ParseSink& sink, const std::set<std::string>& accounts,
           const StatementSourceInfo& source, const StatementMessageOptions& messages,
           std::size_t batch_size, std::int64_t resume_after)
      : sink_(sink),
        accounts_(accounts),
        source_(source),
        messages_(messages),
        batch_size_(batch_size < 1 ? 1 : batch_size),
        resume_after_(resume_after) {}

  void header(const ExchangeSection& h) override { header_ = h; }
  void issue(InputError e) override { error(std::move(e)); }
  void balance(const ExchangeSection& s) override {
    auto r = build_statement_balance(s, header_, source_);
    for (auto& e : r.errors) error(std::move(e));
    if (r.balance && s.end_line > resume_after_) {
      add(statement_summary_envelope(*r.balance, messages_), s.end_line);
      flush_if_full();
    }
  }
  void document(const ExchangeSection& d) override {
    ++counts_.documents;
    auto r = build_statement_line(d, accounts_, source_);
    for (auto& e : r.errors) error(std::move(e));
    if (!r.line) {
      ++counts_.skipped;
      return;
    }
    const StatementLine& l = *r.line;
    ++counts_.lines;
    counts_.sum += l.amount_kopecks;
    if (l.direction == "in") counts_.incoming += l.amount_kopecks;
    if (l.direction == "out") counts_.outgoing += l.amount_kopecks;
    const bool payment = l.direction == "in" && l.reference.has_value();
    if (payment) {
      ++counts_.payments;
      counts_.payments_sum += l.amount_kopecks;
    }
    if (d.end_line <= resume_after_) return;
    add(statement_line_envelope(l, messages_), d.end_line);
    if (payment) add(payment_received_envelope(l, messages_), d.end_line);
    flush_if_full();
  }
  void progress(std::uint64_t read, std::uint64_t total) override { sink_.progress(read, total); }

  void flush() {
    if (batch_.empty()) return;
    sink_.emit(std::move(batch_), position_);
    batch_.clear();
  }
  void error(InputError e) {
    ++counts_.errors;
    sink_.error(std::move(e));
  }
  const Counts& counts() const { return counts_; }

 private:
  void add(plugin::Envelope e, std::int64_t position) {
    batch_.push_back(std::move(e));
    position_ = position;
  }
  // Only between sections: a line and its payment share a position, so they must be committed
  // together (a resumed file skips every section at or before the committed position).
  void flush_if_full() {
    if (batch_.size() >= batch_size_) flush();
  }

  plugin::ParseSink& sink_;
  const std::set<std::string>& accounts_;
  const StatementSourceInfo& source_;
  StatementMessageOptions messages_;
  std::size_t batch_size_;
  std::int64_t resume_after_;
  ExchangeSection header_;
  std::vector<plugin::Envelope> batch_;
  std::int64_t position_ = 0;
  Counts counts_;
};

void json_field(std::string& out, const char* name, std::int64_t v) {
  out += out.size() > 1 ? "," : "";
  out += "\"";
  out += name;
  out += "\":" + std::to_string(v);
}

void json_field(std::string& out, const char* name, const std::string& v) {
  out += out.size() > 1 ? "," : "";
  out += "\"";
  out += name;
  out += "\":\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  out += "\"";
}

std::string summary_json(const Counts& c, std::map<std::string, AccountTotals>& totals,
                         const ExchangeReadResult& read) {
  std::string j = "{";
  json_field(j, "documents", c.documents);
  json_field(j, "lines", c.lines);
  json_field(j, "skipped", c.skipped);
  json_field(j, "sum_kopecks", c.sum);
  json_field(j, "incoming_kopecks", c.incoming);
  json_field(j, "outgoing_kopecks", c.outgoing);
  json_field(j, "payments", c.payments);
  json_field(j, "payments_kopecks", c.payments_sum);
  std::int64_t opening = 0, closing = 0;
  std::string accounts = "[";
  for (const auto& [account, t] : totals) {
    if (!t.balance) continue;
    opening += t.balance->opening;
    closing += t.balance->closing;
    std::string a = "{";
    json_field(a, "account", account);
    json_field(a, "opening_kopecks", t.balance->opening);
    json_field(a, "incoming_kopecks", t.balance->incoming);
    json_field(a, "outgoing_kopecks", t.balance->outgoing);
    json_field(a, "closing_kopecks", t.balance->closing);
    a += ",\"reconciled\":";
    a += t.documents_in == t.balance->incoming && t.documents_out == t.balance->outgoing ? "true"
                                                                                         : "false";
    a += "}";
    accounts += (accounts.size() > 1 ? "," : "") + a;
  }
  accounts += "]";
  json_field(j, "opening_balance_kopecks", opening);
  json_field(j, "closing_balance_kopecks", closing);
  j += ",\"accounts\":" + accounts;
  json_field(j, "errors", c.errors);
  json_field(j, "encoding", std::string(name_of(read.encoding.encoding)));
  json_field(j, "declared_encoding", read.encoding.declared_text);
  json_field(j, "version", read.version);
  j += "}";
  return j;
}

}  // namespace

plugin::ParseOutcome ClientBankParser::parse(const std::filesystem::path& file,
                                             const plugin::ParsedFile& info,
                                             plugin::ParseSink& sink) {
  plugin::ParseOutcome outcome;
  StatementSourceInfo source;
  source.file_name = info.file_name.empty() ? file.filename().string() : info.file_name;

  CheckPass check(sink, source);
  ExchangeReadResult first = read_exchange(file, check, options_.reader);
  source.format_version = first.version;
  source.encoding = std::string(name_of(first.encoding.encoding));
  check.attribute();
  if (!first.complete || !check.fatal().empty()) {
    outcome.accepted = false;
    outcome.fatal = first.fatal;
    outcome.fatal.insert(outcome.fatal.end(), check.fatal().begin(), check.fatal().end());
    Counts none;
    none.documents = check.document_count();
    outcome.summary = summary_json(none, check.totals(), first);
    return outcome;
  }

  StatementMessageOptions messages;
  messages.source = info.source.empty() ? options_.source : info.source;
  messages.agent_code = options_.agent_code;
  EmitPass emit(sink, check.accounts(), source, messages, options_.batch_size, info.resume_after);
  ExchangeReadResult second = read_exchange(file, emit, options_.reader);
  if (!second.complete) {
    // The file changed between the passes: what was emitted is keyed by business identity, so
    // a corrected file later is harmless; this one is refused.
    outcome.accepted = false;
    outcome.fatal = second.fatal;
    outcome.fatal.push_back({0, "", "the file changed while it was read"});
    outcome.summary = summary_json(emit.counts(), check.totals(), second);
    return outcome;
  }
  emit.flush();
  for (const auto& [account, t] : check.totals()) {
    if (!t.balance) continue;
    if (t.documents_in != t.balance->incoming || t.documents_out != t.balance->outgoing) {
      emit.error(
          {t.line, "ВсегоПоступило",
           "the documents of " + account + " add up to " + format_exchange_amount(t.documents_in) +
               " credited and " + format_exchange_amount(t.documents_out) +
               " debited, the balance section says " + format_exchange_amount(t.balance->incoming) +
               " and " + format_exchange_amount(t.balance->outgoing) +
               " (documents missing from the statement?)"});
    }
  }
  outcome.summary = summary_json(emit.counts(), check.totals(), second);
  return outcome;
}

void register_client_bank_parsers(plugin::ParserRegistry& registry,
                                  const ClientBankParserOptions& options) {
  registry.add(kClientBankParserName, std::make_shared<ClientBankParser>(options));
}

}  // namespace hub::bank
