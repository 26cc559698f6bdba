#include "registry/record_reader.h"

#include <algorithm>

#include "registry/values.h"

namespace hub::bank {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kText:
      return "text";
    case FieldType::kAmount:
      return "amount";
    case FieldType::kDate:
      return "date";
    case FieldType::kDateTime:
      return "date-time";
    case FieldType::kPeriod:
      return "period";
    case FieldType::kInt:
      return "integer";
    case FieldType::kQuantity:
      return "meter value";
  }
  return "?";
}

}  // namespace

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> RecordReader::split(std::string_view line) const {
  std::vector<std::string> out;
  const auto& sep = layout_.separator;
  std::size_t start = 0;
  while (true) {
    const auto p = line.find(sep, start);
    auto tok = line.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start);
    out.emplace_back(layout_.trim ? trim(tok) : tok);
    if (p == std::string_view::npos) break;
    start = p + sep.size();
  }
  if (layout_.trailing_separator && out.size() > 1 && out.back().empty()) out.pop_back();
  return out;
}

std::optional<std::string> RecordReader::normalise(const FieldSpec& field, const std::string& token,
                                                   std::string& why) const {
  switch (field.type) {
    case FieldType::kText:
      if (utf8_length(token) > 255) {
        why = "longer than 255 characters";
        return std::nullopt;
      }
      return token;
    case FieldType::kAmount: {
      const auto unit = field.unit.value_or(layout_.unit);
      auto v = parse_amount(token, unit == AmountUnit::kRublesRounded ? AmountUnit::kRubles : unit);
      if (!v) {
        why = "'" + token + "' is not an amount in " +
              (unit == AmountUnit::kKopecks ? "kopecks" : "rubles");
        return std::nullopt;
      }
      return std::to_string(*v);
    }
    case FieldType::kDate:
    case FieldType::kDateTime: {
      auto t = parse_date(token, field.format);
      if (!t) {
        why = "'" + token + "' is not a " + type_name(field.type) + " in the form " + field.format;
        return std::nullopt;
      }
      return field.type == FieldType::kDate ? iso_date(*t) : iso_datetime(*t);
    }
    case FieldType::kPeriod: {
      auto p = parse_period(token, field.format);
      if (!p) {
        why = "'" + token + "' is not a period in the form " + field.format;
        return std::nullopt;
      }
      return p;
    }
    case FieldType::kInt: {
      if (token.empty() || token.size() > 18 ||
          token.find_first_not_of("0123456789") != std::string::npos) {
        why = "'" + token + "' is not a whole number";
        return std::nullopt;
      }
      return std::to_string(std::stoll(token));
    }
    case FieldType::kQuantity: {
      auto q = parse_quantity(token);
      if (!q) {
        why = "'" + token + "' is not a meter value (digits, one '.' or ',', up to 6 decimals)";
        return std::nullopt;
      }
      return q;
    }
  }
  return std::nullopt;
}

bool RecordReader::read(std::string_view line, Record& out, std::vector<FieldError>& errors) const {
  auto tokens = split(line);
  bool in_meters = false;
  auto value_of = [&](const FieldSpec& f, const std::string& raw, std::string& into) {
    std::string stripped;
    if (!f.prefix.empty()) {
      if (raw.compare(0, f.prefix.size(), f.prefix) != 0) {
        errors.push_back({f.name, "expected '" + f.prefix + "' before the value", in_meters});
        return false;
      }
      stripped = raw.substr(f.prefix.size());
    }
    const std::string& token = f.prefix.empty() ? raw : stripped;
    if (token.empty()) {
      if (f.required) errors.push_back({f.name, "required value is empty", in_meters});
      return false;
    }
    std::string why;
    auto v = normalise(f, token, why);
    if (!v) {
      errors.push_back({f.name, why, in_meters});
      return false;
    }
    into = std::move(*v);
    return true;
  };

  // Tagged tokens first: they may stand anywhere in the line.
  if (!layout_.tags.empty()) {
    std::vector<std::string> positional;
    positional.reserve(tokens.size());
    for (auto& t : tokens) {
      const auto colon = t.find(':');
      const TagSpec* tag = nullptr;
      std::string number;
      if (colon != std::string::npos && colon > 0) {
        const std::string_view name(t.data(), colon);
        for (const auto& s : layout_.tags) {
          if (!s.numbered && name == s.tag) {
            tag = &s;
            break;
          }
          if (s.numbered && name.size() > s.tag.size() && name.substr(0, s.tag.size()) == s.tag &&
              name.substr(s.tag.size()).find_first_not_of("0123456789") == std::string_view::npos) {
            tag = &s;
            number = std::string(name.substr(s.tag.size()));
            break;
          }
        }
      }
      if (!tag) {
        positional.push_back(std::move(t));
        continue;
      }
      const std::string value(layout_.trim ? trim(std::string_view(t).substr(colon + 1))
                                           : std::string_view(t).substr(colon + 1));
      FieldSpec f;
      f.name = tag->tag + number;
      f.role = tag->role;
      f.type = tag->type;
      f.unit = std::nullopt;
      std::string v;
      in_meters = tag->numbered;
      const bool ok = value_of(f, value, v);
      in_meters = false;
      if (!ok) continue;
      if (tag->numbered) {
        MeterEntry m;
        m.id = number;
        m.value = v;
        out.meters.push_back(std::move(m));
      } else if (!tag->role.empty()) {
        if (out.values.count(tag->role)) {
          errors.push_back({tag->tag, "given twice in the line"});
          continue;
        }
        out.values[tag->role] = std::move(v);
      }
    }
    tokens = std::move(positional);
  }

  const auto& items = layout_.items;
  const std::size_t tail = layout_.tail_size();
  const std::size_t n = tokens.size();
  if (!layout_.has_blocks()) {
    if (n != items.size()) {
      errors.push_back(
          {"", "expected " + std::to_string(items.size()) + " fields, found " + std::to_string(n)});
      return false;
    }
  } else if (n < tail) {
    errors.push_back({"", "expected at least " + std::to_string(tail) +
                              " fields after the blocks, found " + std::to_string(n)});
    return false;
  }
  const std::size_t zone_end = layout_.has_blocks() ? n - tail : n;
  std::size_t pos = 0;
  std::size_t item = 0;
  // Head: plain fields before the first block.
  for (; item < items.size() && !items[item].is_block; ++item) {
    if (pos >= zone_end) {
      errors.push_back({items[item].field.name, "missing (the line is too short)"});
      return false;
    }
    const auto& f = items[item].field;
    std::string v;
    if (value_of(f, tokens[pos], v) && !f.role.empty()) out.values[f.role] = std::move(v);
    ++pos;
  }
  // Blocks: groups of their fields until the marker, or until the tail starts.
  auto starts = [](const std::string& t, const std::string& marker) {
    return !marker.empty() && t.compare(0, marker.size(), marker) == 0;
  };
  for (; item < items.size() && items[item].is_block; ++item) {
    const auto& b = items[item].block;
    const std::size_t k = b.fields.size();
    in_meters = b.name == "meters";
    const std::string* next_open =
        item + 1 < items.size() && items[item + 1].is_block && !items[item + 1].block.open.empty()
            ? &items[item + 1].block.open
            : nullptr;
    if (!b.open.empty()) {
      if (pos >= zone_end || !starts(tokens[pos], b.open)) {
        errors.push_back({b.name, "block " + b.name + " does not start with '" + b.open + "'"});
        return false;
      }
      tokens[pos].erase(0, b.open.size());
      if (tokens[pos].empty()) {  // the marker alone: an empty block
        ++pos;
        continue;
      }
    }
    bool first = true;
    while (pos < zone_end) {
      auto& t = tokens[pos];
      if (!b.close.empty() && t == b.close) {
        ++pos;
        break;
      }
      if (t.size() > b.close.size() && starts(t, b.close)) {
        t.erase(0, b.close.size());  // ":[!]next": the marker glued to the next value
        break;
      }
      if (!first && next_open && starts(t, *next_open)) break;  // the next block opens
      first = false;
      if (pos + k > zone_end) {
        errors.push_back({b.name, "block " + b.name + ": a group needs " + std::to_string(k) +
                                      " fields, " + std::to_string(zone_end - pos) +
                                      " left before the block ends"});
        return false;
      }
      for (std::size_t j = 1; j < k; ++j) {
        if ((!b.close.empty() && tokens[pos + j] == b.close) ||
            (next_open && starts(tokens[pos + j], *next_open))) {
          errors.push_back({b.name, "block " + b.name + ": group at field " +
                                        std::to_string(pos + 1) + " closed after " +
                                        std::to_string(j) + " of its " + std::to_string(k) +
                                        " fields"});
          return false;
        }
      }
      MeterEntry m;
      ServiceEntry s;
      for (std::size_t j = 0; j < k; ++j) {
        const auto& f = b.fields[j];
        std::string v;
        if (!value_of(f, tokens[pos + j], v)) continue;
        if (f.role == "meter_id")
          m.id = v;
        else if (f.role == "meter_name")
          m.name = v;
        else if (f.role == "previous_value")
          m.previous = v;
        else if (f.role == "value")
          m.value = v;
        else if (f.role == "service_code")
          s.code = v;
        else if (f.role == "service_name")
          s.name = v;
        else if (f.role == "service_amount")
          s.amount = v;
        else if (f.role == "currency")
          s.currency = v;
      }
      if (b.name == "meters")
        out.meters.push_back(std::move(m));
      else
        out.services.push_back(std::move(s));
      pos += k;
    }
  }
  in_meters = false;
  if (pos != zone_end) {
    errors.push_back({"", std::to_string(zone_end - pos) + " unexpected field(s) at field " +
                              std::to_string(pos + 1)});
    return false;
  }
  // Tail: anchored at the end of the line.
  for (; item < items.size(); ++item) {
    const auto& f = items[item].field;
    std::string v;
    if (value_of(f, tokens[pos], v) && !f.role.empty()) out.values[f.role] = std::move(v);
    ++pos;
  }
  return true;
}

}  // namespace hub::bank
