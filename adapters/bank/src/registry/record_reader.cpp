#include "registry/record_reader.h"

#include <algorithm>

#include "registry/values.h"

namespace hub::bank {

namespace {

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

RecordReader::RecordReader(const Layout& layout) : layout_(layout) {
  tag_fields_.reserve(layout_.tags.size());
  for (const auto& tag : layout_.tags) {
    FieldSpec f;
    f.name = tag.tag;
    f.role = tag.role;
    f.type = tag.type;
    tag_fields_.push_back(std::move(f));
  }
}

void RecordReader::split_views(std::string_view line, std::vector<std::string_view>& out) const {
  out.clear();
  const auto& sep = layout_.separator;
  std::size_t start = 0;
  while (true) {
    const auto p = line.find(sep, start);
    auto tok = line.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start);
    out.push_back(layout_.trim ? trim_spaces(tok) : tok);
    if (p == std::string_view::npos) break;
    start = p + sep.size();
  }
  if (layout_.trailing_separator && out.size() > 1 && out.back().empty()) out.pop_back();
}

std::vector<std::string> RecordReader::split(std::string_view line) const {
  std::vector<std::string_view> views;
  split_views(line, views);
  return {views.begin(), views.end()};
}

bool RecordReader::normalise(const FieldSpec& field, std::string_view token, std::string& into,
                             std::string& why) const {
  auto quoted = [&] { return "'" + std::string(token) + "'"; };
  switch (field.type) {
    case FieldType::kText:
      if (utf8_length(token) > 255) {
        why = "longer than 255 characters";
        return false;
      }
      into.assign(token);
      return true;
    case FieldType::kAmount: {
      const auto unit = field.unit.value_or(layout_.unit);
      auto v = parse_amount(token, unit == AmountUnit::kRublesRounded ? AmountUnit::kRubles : unit);
      if (!v) {
        why = quoted() + " is not an amount in " +
              (unit == AmountUnit::kKopecks ? "kopecks" : "rubles");
        return false;
      }
      into = std::to_string(*v);
      return true;
    }
    case FieldType::kDate:
    case FieldType::kDateTime: {
      auto t = parse_date(token, field.format);
      if (!t) {
        why = quoted() + " is not a " + type_name(field.type) + " in the form " + field.format;
        return false;
      }
      into = field.type == FieldType::kDate ? iso_date(*t) : iso_datetime(*t);
      return true;
    }
    case FieldType::kPeriod: {
      auto p = parse_period(token, field.format);
      if (!p) {
        why = quoted() + " is not a period in the form " + field.format;
        return false;
      }
      into = std::move(*p);
      return true;
    }
    case FieldType::kInt: {
      if (token.empty() || token.size() > 18 ||
          token.find_first_not_of("0123456789") != std::string_view::npos) {
        why = quoted() + " is not a whole number";
        return false;
      }
      into = std::to_string(std::stoll(std::string(token)));
      return true;
    }
    case FieldType::kQuantity: {
      auto q = parse_quantity(token);
      if (!q) {
        why = quoted() + " is not a meter value (digits, one '.' or ',', up to 6 decimals)";
        return false;
      }
      into = std::move(*q);
      return true;
    }
  }
  return false;
}

bool RecordReader::read(std::string_view line, Record& out, std::vector<FieldError>& errors,
                        const std::vector<std::string>* only_roles) const {
  // The tokens are views into `line`; scratch vectors are kept between lines (a reader reads the
  // lines of one file, one at a time), so a line costs no allocation for its split.
  auto& tokens = tokens_;
  split_views(line, tokens);
  bool in_meters = false;
  auto value_of = [&](const FieldSpec& f, std::string_view token, std::string& into) {
    if (only_roles &&
        std::find(only_roles->begin(), only_roles->end(), f.role) == only_roles->end()) {
      return false;  // not asked for: neither read nor checked
    }
    if (!f.prefix.empty()) {
      if (token.substr(0, f.prefix.size()) != f.prefix) {
        errors.push_back({f.name, "expected '" + f.prefix + "' before the value", in_meters});
        return false;
      }
      token.remove_prefix(f.prefix.size());
    }
    if (token.empty()) {
      if (f.required) errors.push_back({f.name, "required value is empty", in_meters});
      return false;
    }
    std::string why;
    if (!normalise(f, token, into, why)) {
      errors.push_back({f.name, why, in_meters});
      return false;
    }
    return true;
  };

  // Tagged tokens first: they may stand anywhere in the line.
  if (!layout_.tags.empty()) {
    auto& positional = positional_;
    positional.clear();
    for (const auto t : tokens) {
      const auto colon = t.find(':');
      std::size_t tag_index = layout_.tags.size();
      std::string_view number;
      if (colon != std::string_view::npos && colon > 0) {
        const std::string_view name = t.substr(0, colon);
        for (std::size_t k = 0; k < layout_.tags.size(); ++k) {
          const auto& s = layout_.tags[k];
          if (!s.numbered && name == s.tag) {
            tag_index = k;
            break;
          }
          if (s.numbered && name.size() > s.tag.size() && name.substr(0, s.tag.size()) == s.tag &&
              name.substr(s.tag.size()).find_first_not_of("0123456789") == std::string_view::npos) {
            tag_index = k;
            number = name.substr(s.tag.size());
            break;
          }
        }
      }
      if (tag_index == layout_.tags.size()) {
        positional.push_back(t);
        continue;
      }
      const auto& tag = layout_.tags[tag_index];
      const std::string_view value =
          layout_.trim ? trim_spaces(t.substr(colon + 1)) : t.substr(colon + 1);
      std::string v;
      bool ok;
      if (tag.numbered) {
        FieldSpec f = tag_fields_[tag_index];
        f.name += number;  // errors name the meter's own tag
        in_meters = true;
        ok = value_of(f, value, v);
        in_meters = false;
      } else {
        ok = value_of(tag_fields_[tag_index], value, v);
      }
      if (!ok) continue;
      if (tag.numbered) {
        MeterEntry m;
        m.id = std::string(number);
        m.value = std::move(v);
        out.meters.push_back(std::move(m));
      } else if (!tag.role.empty()) {
        auto [it, inserted] = out.values.try_emplace(tag.role);
        if (!inserted) {
          errors.push_back({tag.tag, "given twice in the line"});
          continue;
        }
        it->second = std::move(v);
      }
    }
    tokens.swap(positional);
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
  auto starts = [](std::string_view t, const std::string& marker) {
    return !marker.empty() && t.substr(0, marker.size()) == marker;
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
      tokens[pos].remove_prefix(b.open.size());
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
        t.remove_prefix(b.close.size());  // ":[!]next": the marker glued to the next value
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
          m.id = std::move(v);
        else if (f.role == "meter_name")
          m.name = std::move(v);
        else if (f.role == "previous_value")
          m.previous = std::move(v);
        else if (f.role == "value")
          m.value = std::move(v);
        else if (f.role == "service_code")
          s.code = std::move(v);
        else if (f.role == "service_name")
          s.name = std::move(v);
        else if (f.role == "service_amount")
          s.amount = std::move(v);
        else if (f.role == "currency")
          s.currency = std::move(v);
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
