#include "registry/registry_writer.h"

#include <stdexcept>

#include "registry/values.h"

namespace hub::bank {

namespace fs = std::filesystem;

RegistryWriter::RegistryWriter(const Layout& layout, std::map<std::string, std::string> vars)
    : layout_(layout), vars_(std::move(vars)) {}

RegistryWriter::~RegistryWriter() {
  if (out_.is_open()) {
    out_.close();
    std::error_code ec;
    fs::remove(body_, ec);
  }
}

std::string RegistryWriter::expand(const std::string& text) const {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      const auto close = text.find('}', i);
      if (close != std::string::npos) {
        auto it = vars_.find(text.substr(i + 1, close - i - 1));
        if (it != vars_.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

std::optional<std::string> RegistryWriter::token(const FieldSpec& f, const std::string& value,
                                                 std::string& why) const {
  auto t = raw_token(f, value, why);
  if (t && !f.prefix.empty()) t->insert(0, f.prefix);
  return t;
}

std::optional<std::string> RegistryWriter::raw_token(const FieldSpec& f, const std::string& value,
                                                     std::string& why) const {
  if (!f.value.empty()) return expand(f.value);
  if (value.empty()) {
    if (f.required) {
      why = f.name + ": required value is empty";
      return std::nullopt;
    }
    return std::string();
  }
  std::string out;
  switch (f.type) {
    case FieldType::kAmount:
      out = format_amount(std::stoll(value), f.unit.value_or(layout_.unit), layout_.decimal);
      break;
    case FieldType::kDate:
    case FieldType::kDateTime: {
      auto t = parse_iso(value);
      if (!t) {
        why = f.name + ": '" + value + "' is not a date";
        return std::nullopt;
      }
      out = format_date(*t, f.format);
      break;
    }
    case FieldType::kPeriod:
      out = format_period(value, f.format);
      break;
    default:
      out = value;
  }
  if (out.find(layout_.separator) != std::string::npos || has_control_chars(out)) {
    why = f.name + ": '" + out + "' holds the separator or a line break";
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> RegistryWriter::format_line(const Record& r, std::string& why) const {
  std::string line;
  bool first = true;
  auto add = [&](const std::string& t) {
    if (!first) line += layout_.separator;
    line += t;
    first = false;
  };
  for (const auto& item : layout_.items) {
    if (!item.is_block) {
      std::string value = r.get(item.field.role);
      if (totals_ && layout_.footer.kind == FooterKind::kCheckColumns) {
        if (item.field.role == layout_.footer.count_field) value = std::to_string(totals_->first);
        if (item.field.role == layout_.footer.sum_field) value = std::to_string(totals_->second);
      }
      if (item.field.role == "house_premise" && value.empty()) {
        const auto& h = r.get("house_guid");
        const auto& p = r.get("premise");
        value = h.empty() && p.empty() ? "" : h + "," + p;
      }
      auto t = token(item.field, item.field.role.empty() ? "" : value, why);
      if (!t) return std::nullopt;
      add(*t);
      continue;
    }
    const auto& b = item.block;
    const bool meters = b.name == "meters";
    const std::size_t groups = meters ? r.meters.size() : r.services.size();
    if (!b.open.empty() && groups == 0) add(b.open);  // the marker alone: an empty block
    for (std::size_t g = 0; g < groups; ++g) {
      for (const auto& f : b.fields) {
        std::string v;
        if (meters) {
          const auto& m = r.meters[g];
          v = f.role == "meter_id"         ? m.id
              : f.role == "meter_name"     ? m.name
              : f.role == "previous_value" ? m.previous
              : f.role == "value"          ? m.value
                                           : "";
        } else {
          const auto& s = r.services[g];
          v = f.role == "service_code"     ? s.code
              : f.role == "service_name"   ? s.name
              : f.role == "service_amount" ? s.amount
              : f.role == "currency"       ? s.currency
                                           : "";
        }
        auto t = token(f, v, why);
        if (!t) return std::nullopt;
        if (!b.close.empty() && *t == b.close) {
          why = b.name + ": a value equals the closing marker '" + b.close + "'";
          return std::nullopt;
        }
        if (g == 0 && &f == &b.fields.front()) t->insert(0, b.open);
        add(*t);
      }
    }
    if (!b.close.empty()) add(b.close);
  }
  for (const auto& tag : layout_.tags) {
    if (tag.numbered) {
      if (layout_.has_blocks()) continue;
      for (const auto& m : r.meters) {
        if (!m.value.empty()) add(tag.tag + m.id + ":" + m.value);
      }
      continue;
    }
    const auto& v = r.get(tag.role);
    if (v.empty()) continue;
    FieldSpec f;
    f.name = tag.tag;
    f.type = tag.type;
    auto t = token(f, v, why);
    if (!t) return std::nullopt;
    add(tag.tag + ":" + *t);
  }
  if (layout_.trailing_separator) line += layout_.separator;
  return line;
}

bool RegistryWriter::put_line(std::ofstream& out, const std::string& utf8, std::string& why) const {
  std::string bytes;
  if (!encode_from_utf8(utf8, layout_.encoding, bytes)) {
    why = "the line holds characters " + std::string(name_of(layout_.encoding)) + " cannot write";
    return false;
  }
  bytes += layout_.crlf ? "\r\n" : "\n";
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return true;
}

void RegistryWriter::open(const fs::path& target,
                          std::optional<std::pair<std::int64_t, std::int64_t>> totals) {
  if (layout_.footer.kind == FooterKind::kCheckColumns && !totals) {
    throw std::logic_error("layout " + layout_.name +
                           " repeats the totals in every line: give them");
  }
  totals_ = totals;
  target_ = target;
  body_ = target;
  body_ += ".body.tmp";
  count_ = sum_ = 0;
  out_.open(body_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write " + body_.string());
}

bool RegistryWriter::write(const Record& r, std::string& why) {
  auto line = format_line(r, why);
  if (!line || !put_line(out_, *line, why)) return false;
  ++count_;
  const auto& a = r.get("amount");
  if (!a.empty()) sum_ += std::stoll(a);
  return true;
}

std::pair<std::int64_t, std::int64_t> RegistryWriter::finish() {
  out_.close();
  const auto tmp = fs::path(target_.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    std::string why;
    for (const auto& d : layout_.directives) {
      const auto text =
          d.prefix + " " +
          (d.role == "sum" ? format_amount(sum_, layout_.footer.sum_unit, layout_.decimal)
                           : expand(d.value));
      if (!put_line(out, text, why)) throw std::runtime_error(d.prefix + ": " + why);
    }
    std::ifstream body(body_, std::ios::binary);
    // `out << rdbuf()` of an empty body sets failbit: a month without debtors is still a file.
    if (body.peek() != std::char_traits<char>::eof()) out << body.rdbuf();
    body.close();
    if (layout_.footer.kind == FooterKind::kLine) {
      std::string f = layout_.footer.prefix;
      for (const auto& role : layout_.footer.fields) {
        f += layout_.separator;
        if (role == "count") f += std::to_string(count_);
        if (role == "sum") f += format_amount(sum_, layout_.footer.sum_unit, layout_.decimal);
      }
      if (layout_.trailing_separator) f += layout_.separator;
      if (!put_line(out, f, why)) throw std::runtime_error("footer: " + why);
    }
    out.flush();
    if (!out) throw std::runtime_error("write failed: " + tmp.string());
  }
  std::error_code ec;
  fs::remove(body_, ec);
  fs::rename(tmp, target_);
  return {count_, sum_};
}

}  // namespace hub::bank
