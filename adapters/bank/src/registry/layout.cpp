#include "registry/layout.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace hub::bank {

namespace fs = std::filesystem;

namespace {

// Roles a layout may give a field, by where the field is.
const std::set<std::string>& plain_roles() {
  static const std::set<std::string> r = {
      "registry_id",   "transaction_id", "paid_at",      "branch",
      "cashier",       "account",        "els",          "ipd",
      "izhku",         "payer_name",     "address",      "period",
      "amount",        "commission",     "row_count",    "total_sum",
      "house_premise", "service_code",   "service_name", "house_guid",
      "premise"};
  return r;
}
const std::set<std::string>& meter_roles() {
  static const std::set<std::string> r = {"meter_id", "meter_name", "previous_value", "value"};
  return r;
}
const std::set<std::string>& service_roles() {
  static const std::set<std::string> r = {"service_code", "service_name", "service_amount",
                                          "currency"};
  return r;
}

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& why) {
    throw LayoutError(file_, at.IsDefined() ? at.Mark().line + 1 : 0, key, why);
  }
  int line(const YAML::Node& n) const { return n.Mark().line + 1; }

  void only_keys(const YAML::Node& map, const std::string& where,
                 std::initializer_list<const char*> keys) {
    if (!map.IsMap()) fail(map, where, "expected a mapping");
    for (const auto& kv : map) {
      const auto k = kv.first.as<std::string>();
      if (std::none_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; })) {
        std::string known;
        for (const char* a : keys) known += (known.empty() ? "" : ", ") + std::string(a);
        fail(kv.first, where.empty() ? k : where + "." + k, "unknown key (known: " + known + ")");
      }
    }
  }
  std::string str(const YAML::Node& map, const char* key, const std::string& where,
                  std::optional<std::string> def = std::nullopt) {
    const auto n = map[key];
    const auto name = where.empty() ? std::string(key) : where + "." + key;
    if (!n) {
      if (!def) fail(map, name, "required key is missing");
      return *def;
    }
    if (!n.IsScalar()) fail(n, name, "expected a text value");
    return n.as<std::string>();
  }
  bool boolean(const YAML::Node& map, const char* key, const std::string& where, bool def) {
    const auto n = map[key];
    if (!n) return def;
    const auto v = n.IsScalar() ? n.as<std::string>() : "";
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    fail(n, where.empty() ? key : where + "." + key, "expected true or false, got '" + v + "'");
  }
  long long integer(const YAML::Node& map, const char* key, const std::string& where, long long def,
                    long long min, long long max) {
    const auto n = map[key];
    if (!n) return def;
    const auto name = where.empty() ? std::string(key) : where + "." + key;
    long long v = 0;
    try {
      std::size_t pos = 0;
      const auto s = n.as<std::string>();
      v = std::stoll(s, &pos);
      if (pos != s.size()) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      fail(n, name, "expected an integer");
    }
    if (v < min || v > max) {
      fail(n, name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return v;
  }

  AmountUnit unit(const YAML::Node& n, const std::string& key) {
    const auto v = n.as<std::string>();
    if (v == "rubles") return AmountUnit::kRubles;
    if (v == "kopecks") return AmountUnit::kKopecks;
    if (v == "rubles_rounded") return AmountUnit::kRublesRounded;
    fail(n, key, "unknown unit '" + v + "' (rubles, kopecks, rubles_rounded)");
  }

  FieldType type(const YAML::Node& n, const std::string& key) {
    const auto v = n.as<std::string>();
    if (v == "text") return FieldType::kText;
    if (v == "amount") return FieldType::kAmount;
    if (v == "date") return FieldType::kDate;
    if (v == "datetime") return FieldType::kDateTime;
    if (v == "period") return FieldType::kPeriod;
    if (v == "int") return FieldType::kInt;
    if (v == "quantity") return FieldType::kQuantity;
    fail(n, key, "unknown type '" + v + "' (text, amount, date, datetime, period, int, quantity)");
  }

  FieldSpec field(const YAML::Node& n, const std::string& where,
                  const std::set<std::string>& roles) {
    only_keys(n, where, {"name", "role", "type", "format", "unit", "required", "value", "prefix"});
    FieldSpec f;
    f.line = line(n);
    f.name = str(n, "name", where);
    f.role = str(n, "role", where, "");
    if (!f.role.empty() && !roles.count(f.role)) {
      std::string known;
      for (const auto& r : roles) known += (known.empty() ? "" : ", ") + r;
      fail(n["role"], where + ".role", "unknown role '" + f.role + "' here (known: " + known + ")");
    }
    if (n["type"]) f.type = type(n["type"], where + ".type");
    f.format = str(n, "format", where, "");
    if (n["unit"]) f.unit = unit(n["unit"], where + ".unit");
    f.required = boolean(n, "required", where, false);
    f.value = str(n, "value", where, "");
    f.prefix = str(n, "prefix", where, "");
    const bool dated = f.type == FieldType::kDate || f.type == FieldType::kDateTime ||
                       f.type == FieldType::kPeriod;
    if (dated && f.format.empty()) fail(n, where + ".format", "a date or period needs a format");
    if (dated) {
      if (f.format.find("yy") == std::string::npos || f.format.find("MM") == std::string::npos) {
        fail(n["format"], where + ".format",
             "'" + f.format + "' has no year (yyyy/yy) or month (MM)");
      }
      if (f.type == FieldType::kDate && f.format.find("dd") == std::string::npos) {
        fail(n["format"], where + ".format", "a date format needs dd");
      }
    }
    // Roles imply types: a money role must be read as money, a date role as a date.
    auto need = [&](std::initializer_list<FieldType> ok, const char* what) {
      if (std::find(ok.begin(), ok.end(), f.type) == ok.end()) {
        fail(n, where + ".type", "role '" + f.role + "' needs type " + what);
      }
    };
    if (f.role == "amount" || f.role == "commission" || f.role == "total_sum" ||
        f.role == "service_amount") {
      need({FieldType::kAmount}, "amount");
    }
    if (f.role == "paid_at") need({FieldType::kDate, FieldType::kDateTime}, "date or datetime");
    if (f.role == "period") need({FieldType::kPeriod}, "period");
    if (f.role == "row_count") need({FieldType::kInt}, "int");
    if (f.role == "value" || f.role == "previous_value") need({FieldType::kQuantity}, "quantity");
    return f;
  }

 private:
  std::string file_;
};

}  // namespace

std::size_t Layout::tail_size() const {
  std::size_t n = 0;
  for (auto it = items.rbegin(); it != items.rend() && !it->is_block; ++it) ++n;
  return n;
}

bool Layout::has_blocks() const {
  return std::any_of(items.begin(), items.end(), [](const Item& i) { return i.is_block; });
}

const FieldSpec* Layout::field_with_role(const std::string& role) const {
  for (const auto& i : items) {
    if (!i.is_block && i.field.role == role) return &i.field;
  }
  return nullptr;
}

bool Layout::has_role(const std::string& role) const {
  if (field_with_role(role)) return true;
  return std::any_of(tags.begin(), tags.end(), [&](const TagSpec& t) { return t.role == role; });
}

Layout load_layout(const fs::path& path) {
  const auto file = path.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::ParserException& e) {
    throw LayoutError(file, e.mark.line + 1, "", "not valid YAML: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw LayoutError(file, 0, "", "cannot read the file");
  }
  Checker c(file);
  if (!root.IsMap()) c.fail(root, "", "a layout file is a mapping (layout:, fields:, ...)");
  c.only_keys(root, "",
              {"layout", "description", "kind", "agent", "encoding", "sniff", "separator",
               "trailing_separator", "trim", "line_end", "amounts", "header", "fields", "tags",
               "footer", "file_name", "period_default", "meter_id", "max_line_bytes"});
  Layout l;
  l.file = file;
  l.name = c.str(root, "layout", "");
  if (l.name.empty() ||
      l.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    c.fail(root["layout"], "layout", "'" + l.name + "' must be lower-case letters, digits, _");
  }
  l.description = c.str(root, "description", "", "");
  const auto kind = c.str(root, "kind", "");
  if (kind == "payments") {
    l.kind = LayoutKind::kPayments;
  } else if (kind == "debts") {
    l.kind = LayoutKind::kDebts;
  } else {
    c.fail(root["kind"], "kind", "'" + kind + "' is neither payments nor debts");
  }
  if (root["agent"]) {
    const auto a = root["agent"];
    c.only_keys(a, "agent", {"code", "name", "inn", "bik"});
    l.agent_code = c.str(a, "code", "agent");
    l.agent_name = c.str(a, "name", "agent", "");
    l.agent_inn = c.str(a, "inn", "agent", "");
    l.agent_bik = c.str(a, "bik", "agent", "");
    if (l.agent_code.empty() || l.agent_code.size() > 64 ||
        l.agent_code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789_.:/-") != std::string::npos) {
      c.fail(a["code"], "agent.code", "'" + l.agent_code + "' is not a code ([A-Za-z0-9_.:/-])");
    }
    auto digits = [&](const std::string& v, std::initializer_list<std::size_t> sizes,
                      const char* key) {
      if (v.empty()) return;
      const bool ok = v.find_first_not_of("0123456789") == std::string::npos &&
                      std::find(sizes.begin(), sizes.end(), v.size()) != sizes.end();
      if (!ok) c.fail(a[key], std::string("agent.") + key, "'" + v + "' has the wrong form");
    };
    digits(l.agent_inn, {10, 12}, "inn");
    digits(l.agent_bik, {9}, "bik");
  } else {
    l.agent_code = l.name;
  }
  const auto enc = c.str(root, "encoding", "", "utf-8");
  const auto e = encoding_from_name(enc);
  if (!e)
    c.fail(root["encoding"], "encoding",
           "unknown encoding '" + enc + "' (cp1251, cp866, koi8-r, utf-8)");
  l.encoding = *e;
  l.sniff = c.boolean(root, "sniff", "", true);
  l.separator = c.str(root, "separator", "");
  if (l.separator.empty()) c.fail(root["separator"], "separator", "must not be empty");
  l.trailing_separator = c.boolean(root, "trailing_separator", "", false);
  l.trim = c.boolean(root, "trim", "", false);
  const auto ends = c.str(root, "line_end", "", "crlf");
  if (ends != "crlf" && ends != "lf") c.fail(root["line_end"], "line_end", "crlf or lf");
  l.crlf = ends == "crlf";
  if (root["amounts"]) {
    const auto a = root["amounts"];
    c.only_keys(a, "amounts", {"unit", "decimal"});
    if (a["unit"]) l.unit = c.unit(a["unit"], "amounts.unit");
    const auto dec = c.str(a, "decimal", "amounts", ".");
    if (dec != "." && dec != ",") c.fail(a["decimal"], "amounts.decimal", "'.' or ','");
    l.decimal = dec[0];
  }
  if (root["header"]) {
    const auto h = root["header"];
    c.only_keys(h, "header", {"skip_lines", "directives"});
    l.skip_lines = static_cast<std::size_t>(c.integer(h, "skip_lines", "header", 0, 0, 100));
    if (h["directives"]) {
      if (!h["directives"].IsSequence()) c.fail(h["directives"], "header.directives", "a list");
      for (const auto& d : h["directives"]) {
        c.only_keys(d, "header.directives[]", {"prefix", "role", "value"});
        Directive dir{c.str(d, "prefix", "header.directives[]"),
                      c.str(d, "role", "header.directives[]", ""),
                      c.str(d, "value", "header.directives[]", "")};
        if (!dir.role.empty() && dir.role != "sum") {
          c.fail(d["role"], "header.directives[].role", "only 'sum' is known");
        }
        l.directives.push_back(dir);
      }
    }
  }
  const auto fields = root["fields"];
  if (!fields || !fields.IsSequence() || fields.size() == 0) {
    c.fail(fields ? fields : root, "fields", "a non-empty list of fields is required");
  }
  std::set<std::string> block_names;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto n = fields[i];
    const auto where = "fields[" + std::to_string(i + 1) + "]";
    Item item;
    if (n.IsMap() && n["block"]) {
      c.only_keys(n, where, {"block", "close", "open", "fields"});
      item.is_block = true;
      item.block.line = c.line(n);
      item.block.name = c.str(n, "block", where);
      if (item.block.name != "meters" && item.block.name != "services") {
        c.fail(n["block"], where + ".block", "'" + item.block.name + "' (meters or services)");
      }
      if (!block_names.insert(item.block.name).second) {
        c.fail(n["block"], where + ".block", "block '" + item.block.name + "' twice");
      }
      item.block.close = c.str(n, "close", where, "");
      item.block.open = c.str(n, "open", where, "");
      if (item.block.close.empty() && item.block.open.empty()) {
        c.fail(n, where + ".close",
               "a block needs a closing marker (close:) or an opening one (open:)");
      }
      const auto bf = n["fields"];
      if (!bf || !bf.IsSequence() || bf.size() == 0) {
        c.fail(n, where + ".fields", "a block needs a non-empty list of fields");
      }
      const auto& roles = item.block.name == "meters" ? meter_roles() : service_roles();
      for (std::size_t j = 0; j < bf.size(); ++j) {
        item.block.fields.push_back(
            c.field(bf[j], where + ".fields[" + std::to_string(j + 1) + "]", roles));
      }
    } else {
      item.field = c.field(n, where, plain_roles());
    }
    l.items.push_back(std::move(item));
  }
  // Plain fields between two blocks could not be told from either block's groups.
  for (std::size_t i = 1; i + 1 < l.items.size(); ++i) {
    if (!l.items[i].is_block && l.items[i - 1].is_block && l.has_blocks()) {
      for (std::size_t j = i + 1; j < l.items.size(); ++j) {
        if (l.items[j].is_block) {
          throw LayoutError(file, l.items[i].field.line, "fields",
                            "plain fields between two blocks are not supported");
        }
      }
    }
  }
  std::set<std::string> seen_roles;
  for (const auto& it : l.items) {
    if (it.is_block || it.field.role.empty()) continue;
    if (!seen_roles.insert(it.field.role).second) {
      throw LayoutError(file, it.field.line, "fields", "role '" + it.field.role + "' twice");
    }
  }
  if (root["tags"]) {
    if (!root["tags"].IsSequence()) c.fail(root["tags"], "tags", "a list");
    for (const auto& t : root["tags"]) {
      c.only_keys(t, "tags[]", {"tag", "role", "type", "numbered"});
      TagSpec s;
      s.line = c.line(t);
      s.tag = c.str(t, "tag", "tags[]");
      s.role = c.str(t, "role", "tags[]", "");
      if (t["type"]) s.type = c.type(t["type"], "tags[].type");
      s.numbered = c.boolean(t, "numbered", "tags[]", false);
      if (s.tag.empty() || s.tag.find(':') != std::string::npos) {
        c.fail(t["tag"], "tags[].tag", "a tag is a name without ':' (CLIENTNO)");
      }
      if (s.numbered && s.role != "meter_value") {
        c.fail(t, "tags[].role", "numbered tags carry meter readings: role meter_value");
      }
      if (!s.numbered && !s.role.empty() && !plain_roles().count(s.role)) {
        c.fail(t["role"], "tags[].role", "unknown role '" + s.role + "'");
      }
      if (!s.role.empty() && !s.numbered && !seen_roles.insert(s.role).second) {
        c.fail(t, "tags[].role", "role '" + s.role + "' is already a field");
      }
      if (s.role == "amount" || s.role == "commission") s.type = FieldType::kAmount;
      if (s.numbered) s.type = FieldType::kQuantity;
      l.tags.push_back(s);
    }
  }
  if (root["footer"]) {
    const auto f = root["footer"];
    c.only_keys(f, "footer",
                {"kind", "prefix", "fields", "sum_unit", "count_field", "sum_field", "required"});
    const auto k = c.str(f, "kind", "footer");
    if (k == "line") {
      l.footer.kind = FooterKind::kLine;
      l.footer.prefix = c.str(f, "prefix", "footer");
      if (!f["fields"] || !f["fields"].IsSequence())
        c.fail(f, "footer.fields", "a list: [count, sum]");
      for (const auto& x : f["fields"]) {
        const auto r = x.as<std::string>();
        if (r != "count" && r != "sum" && r != "-") {
          c.fail(x, "footer.fields", "'" + r + "' (count, sum, or - for a token to skip)");
        }
        l.footer.fields.push_back(r);
      }
    } else if (k == "filesum") {
      l.footer.kind = FooterKind::kFileSum;
      if (std::none_of(l.directives.begin(), l.directives.end(),
                       [](const Directive& d) { return d.role == "sum"; })) {
        c.fail(f["kind"], "footer.kind", "filesum needs a header directive with role: sum");
      }
    } else if (k == "check_columns") {
      l.footer.kind = FooterKind::kCheckColumns;
      l.footer.count_field = c.str(f, "count_field", "footer", "row_count");
      l.footer.sum_field = c.str(f, "sum_field", "footer", "total_sum");
      if (!l.field_with_role(l.footer.count_field) || !l.field_with_role(l.footer.sum_field)) {
        c.fail(f, "footer",
               "check_columns needs fields with roles '" + l.footer.count_field + "' and '" +
                   l.footer.sum_field + "'");
      }
    } else if (k != "none") {
      c.fail(f["kind"], "footer.kind", "'" + k + "' (line, filesum, check_columns, none)");
    }
    if (f["sum_unit"])
      l.footer.sum_unit = c.unit(f["sum_unit"], "footer.sum_unit");
    else
      l.footer.sum_unit = l.unit;
    l.footer.required = c.boolean(f, "required", "footer", true);
  }
  if (root["file_name"]) {
    const auto f = root["file_name"];
    c.only_keys(f, "file_name", {"pattern", "check"});
    l.file_name.pattern = c.str(f, "pattern", "file_name");
    l.file_name.check = c.boolean(f, "check", "file_name", false);
    for (std::size_t p = l.file_name.pattern.find('{'); p != std::string::npos;
         p = l.file_name.pattern.find('{', p + 1)) {
      const auto close = l.file_name.pattern.find('}', p);
      const auto key =
          l.file_name.pattern.substr(p + 1, close == std::string::npos ? 0 : close - p - 1);
      static const std::set<std::string> known = {"inn",    "rs",     "seq",          "mmyy",
                                                  "mmyyyy", "yyyymm", "service_code", "bank"};
      if (!known.count(key)) {
        c.fail(f["pattern"], "file_name.pattern",
               "unknown placeholder {" + key +
                   "} (inn, rs, seq, mmyy, mmyyyy, yyyymm, service_code, bank)");
      }
    }
  }
  const auto pd = c.str(root, "period_default", "", "none");
  if (pd == "none")
    l.period_default = PeriodDefault::kNone;
  else if (pd == "payment_month")
    l.period_default = PeriodDefault::kPaymentMonth;
  else if (pd == "previous_month")
    l.period_default = PeriodDefault::kPreviousMonth;
  else
    c.fail(root["period_default"], "period_default", "none, payment_month or previous_month");
  l.meter_id = c.str(root, "meter_id", "", "{n}");
  l.max_line_bytes = static_cast<std::size_t>(
      c.integer(root, "max_line_bytes", "", 64 * 1024, 256, 16 * 1024 * 1024));

  // What the kind needs to make sense.
  if (l.kind == LayoutKind::kPayments) {
    if (!l.has_role("amount"))
      c.fail(root["fields"], "fields", "a payments layout needs role amount");
    if (!l.has_role("paid_at"))
      c.fail(root["fields"], "fields", "a payments layout needs role paid_at");
    if (!l.has_role("account") && !l.has_role("els") && !l.has_role("ipd") &&
        !l.has_role("izhku")) {
      c.fail(root["fields"], "fields",
             "a payments layout needs a payer: account, els, ipd or izhku");
    }
    if (!l.has_role("period") && l.period_default == PeriodDefault::kNone) {
      c.fail(root, "period_default", "no field has role period: say which month a payment is for");
    }
  } else {
    if (!l.has_role("amount")) c.fail(root["fields"], "fields", "a debts layout needs role amount");
    if (!l.has_role("account"))
      c.fail(root["fields"], "fields", "a debts layout needs role account");
  }
  if (l.footer.kind == FooterKind::kLine && l.footer.prefix.empty()) {
    c.fail(root["footer"], "footer.prefix", "must not be empty");
  }
  return l;
}

std::vector<Layout> load_layouts(const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    throw std::runtime_error("bank layouts directory " + dir.string() + " does not exist");
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Layout> out;
  for (const auto& f : files) {
    auto l = load_layout(f);
    for (const auto& other : out) {
      if (other.name == l.name) {
        throw LayoutError(f.string(), 1, "layout",
                          "name '" + l.name + "' is already used by " + other.file);
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace hub::bank
