#include "hub/billing/canonical_mapping.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cstring>
#include <ctime>
#include <sstream>

#include "hub/core/error.h"
#include "hub/plugin/text_escape.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/xpath.h"

namespace hub::billing {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string key_of(const Field& f) {
  if (!f.column.empty()) return f.column;
  if (!f.name.empty() && f.name[0] == '@') return f.name.substr(1);
  return f.name;
}

std::string content_of(xmlNodePtr n) {
  xmlChar* c = xmlNodeGetContent(n);
  std::string out = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return out;
}

bool is_canonical(xmlNodePtr n) {
  return n->ns && n->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), xml::kCanonicalNs) == 0;
}

const Field* find_field(const std::vector<Field>& fields, const std::string& name) {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

/// Where the Reader puts what it reads: the record itself at the top (scalars straight into its
/// columns), a JSON object inside a repeated group. Before, the top level was a JSON object too,
/// converted to the record afterwards: two maps and a Var per value for every payment.
struct RecordOut {
  Record& record;
  std::map<std::string, Array::Ptr> arrays;
  bool has(const std::string& key) const { return record.count(key) || arrays.count(key); }
  void set(const std::string& key, std::string value) { record[key] = std::move(value); }
  Array::Ptr array(const std::string& key) {
    auto& a = arrays[key];
    if (!a) a = new Array;
    return a;
  }
};

struct ObjectOut {
  Object& object;
  bool has(const std::string& key) const { return object.has(key); }
  void set(const std::string& key, std::string value) { object.set(key, std::move(value)); }
  Array::Ptr array(const std::string& key) {
    if (!object.has(key)) object.set(key, Array::Ptr(new Array));
    return object.getArray(key);
  }
};

struct Reader {
  std::vector<MappingIssue>& issues;

  void issue(xmlNodePtr n, const std::string& suffix, const std::string& message) {
    issues.push_back({xml::node_path(n) + suffix, message});
  }

  std::optional<std::string> value(const Field& f, xmlNodePtr at, const std::string& suffix,
                                   const std::string& raw) {
    auto v = normalise(f.kind, raw);
    if (!v) issue(at, suffix, "not a valid value: '" + raw + "'");
    return v;
  }

  template <typename Out>
  void content(xmlNodePtr node, const std::vector<Field>& fields, Out& out) {
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
      const std::string name = reinterpret_cast<const char*>(a->name);
      const Field* f = find_field(fields, "@" + name);
      if (!f) {
        issue(node, "/@" + name, "attribute not known to the billing store");
        continue;
      }
      xmlChar* v = xmlNodeListGetString(node->doc, a->children, 1);
      const std::string raw = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      if (auto n = value(*f, node, "/@" + name, raw)) out.set(key_of(*f), *n);
    }
    if (const Field* text = find_field(fields, ".")) {
      if (auto n = value(*text, node, "", content_of(node))) out.set(key_of(*text), *n);
    }
    for (xmlNodePtr c = node->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      const std::string name = reinterpret_cast<const char*>(c->name);
      const Field* f = is_canonical(c) ? find_field(fields, name) : nullptr;
      if (!f) {
        issue(c, "", "element not known to the billing store");
        continue;
      }
      const std::string key = key_of(*f);
      if (f->repeated) {
        auto arr = out.array(key);
        if (f->children.empty()) {
          if (c->properties)
            issue(c, "/@" + std::string(reinterpret_cast<const char*>(c->properties->name)),
                  "attribute not known to the billing store");
          if (auto n = value(*f, c, "", content_of(c))) arr->add(*n);
        } else {
          Object::Ptr item(new Object);
          ObjectOut nested{*item};
          content(c, f->children, nested);
          arr->add(item);
        }
      } else if (!f->children.empty()) {
        content(c, f->children, out);
      } else {
        if (c->properties)
          issue(c, "/@" + std::string(reinterpret_cast<const char*>(c->properties->name)),
                "attribute not known to the billing store");
        if (out.has(key)) {
          issue(c, "", "element occurs more than once");
          continue;
        }
        if (auto n = value(*f, c, "", content_of(c))) out.set(key, *n);
      }
    }
  }
};

// A repeated field's JSON text, as Poco's condensed form has it (objects' keys sorted, as Poco's
// Object keeps them) except that \b and \f are written \u0008 and \u000c. Poco's Stringifier
// writes through an ostream a character at a time: for the results of a GIS answer (100 objects
// per external.state) that was half of the billing store's reading of the message, ~3.5% of the
// hub's CPU in bench_gis_export.
void append_json(std::string& out, const Poco::Dynamic::Var& v) {
  if (v.type() == typeid(std::string)) {
    hub::plugin::append_json_string(out, v.extract<std::string>());
  } else if (v.type() == typeid(Array::Ptr)) {
    const auto& a = v.extract<Array::Ptr>();
    out += '[';
    bool first = true;
    for (const auto& item : *a) {
      if (!first) out += ',';
      first = false;
      append_json(out, item);
    }
    out += ']';
  } else if (v.type() == typeid(Object::Ptr)) {
    const auto& o = v.extract<Object::Ptr>();
    out += '{';
    bool first = true;
    for (const auto& [key, value] : *o) {
      if (!first) out += ',';
      first = false;
      hub::plugin::append_json_string(out, key);
      out += ':';
      append_json(out, value);
    }
    out += '}';
  } else {
    // Nothing the Reader builds; kept exact for whatever else a Var may hold.
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(v, text);
    out += text.str();
  }
}

std::string json_text(const Array::Ptr& a) {
  std::string out;
  append_json(out, Poco::Dynamic::Var(a));
  return out;
}

// Bodies are written as text: the GIS export writes one per account of each page it reads
// (2,000,000 for a whole store), and building a tree to serialise it was most of the export's
// read side. The output is what libxml2's serialiser wrote for the same tree: fields in schema
// order, attributes in the start tag, an element without content as <c:x/>.

/// A record's values (JSON text for repeated fields).
struct RecordValues {
  const Record& record;
  const std::string* scalar(const std::string& key, std::string&) const {
    auto it = record.find(key);
    return it == record.end() ? nullptr : &it->second;
  }
  Array::Ptr array(const std::string& key) const {
    auto it = record.find(key);
    if (it == record.end()) return nullptr;
    Poco::JSON::Parser parser;
    return parser.parse(it->second).extract<Array::Ptr>();
  }
  bool has(const std::string& key) const { return record.count(key) != 0; }
};

/// One item of a repeated field.
struct ObjectValues {
  const Object& object;
  const std::string* scalar(const std::string& key, std::string& scratch) const {
    if (!object.has(key)) return nullptr;
    const auto v = object.get(key);
    scratch = v.isString() ? v.extract<std::string>() : v.toString();
    return &scratch;
  }
  Array::Ptr array(const std::string& key) const {
    return object.has(key) ? object.getArray(key) : nullptr;
  }
  bool has(const std::string& key) const { return object.has(key); }
};

template <typename Values>
bool has_any(const std::vector<Field>& fields, const Values& v) {
  for (const auto& f : fields) {
    if (!f.repeated && !f.children.empty()) {
      if (has_any(f.children, v)) return true;
    } else if (v.has(key_of(f))) {
      if (!f.repeated) return true;
      auto arr = v.array(key_of(f));
      if (arr && arr->size() > 0) return true;
    }
  }
  return false;
}

void text_element(std::string& out, const std::string& name, std::string_view text) {
  out += "<c:";
  out += name;
  out += '>';
  plugin::append_xml_escaped(out, text);
  out += "</c:";
  out += name;
  out += '>';
}

template <typename Values>
void write_element(std::string& out, const std::string& name, const std::vector<Field>& fields,
                   const Values& v, bool declare_ns = false);

template <typename Values>
void write_content(std::string& out, const std::vector<Field>& fields, const Values& v) {
  std::string scratch;
  for (const auto& f : fields) {
    const std::string key = key_of(f);
    if (f.name[0] == '@') continue;  // in the start tag
    if (f.name == ".") {
      if (const auto* value = v.scalar(key, scratch)) plugin::append_xml_escaped(out, *value);
    } else if (f.repeated) {
      const Array::Ptr arr = v.array(key);
      if (!arr) continue;
      for (std::size_t i = 0; i < arr->size(); ++i) {
        if (f.children.empty()) {
          const auto item = arr->get(i);
          text_element(out, f.name,
                       item.isString() ? item.extract<std::string>() : item.toString());
        } else if (auto item = arr->getObject(i)) {
          write_element(out, f.name, f.children, ObjectValues{*item});
        } else {
          out += "<c:" + f.name + "/>";
        }
      }
    } else if (!f.children.empty()) {
      if (has_any(f.children, v)) write_element(out, f.name, f.children, v);
    } else if (const auto* value = v.scalar(key, scratch)) {
      text_element(out, f.name, *value);
    }
  }
}

template <typename Values>
void write_element(std::string& out, const std::string& name, const std::vector<Field>& fields,
                   const Values& v, bool declare_ns) {
  out += "<c:";
  out += name;
  if (declare_ns) {
    out += " xmlns:c=\"";
    out += xml::kCanonicalNs;
    out += '"';
  }
  std::string scratch;
  for (const auto& f : fields) {
    if (f.name[0] != '@') continue;
    if (const auto* value = v.scalar(key_of(f), scratch)) {
      out += ' ';
      out.append(f.name, 1, std::string::npos);
      out += "=\"";
      plugin::append_xml_escaped(out, *value, true);
      out += '"';
    }
  }
  out += '>';
  const auto open_end = out.size();
  write_content(out, fields, v);
  if (out.size() == open_end) {
    out.back() = '/';
    out += '>';
  } else {
    out += "</c:";
    out += name;
    out += '>';
  }
}

void collect_columns(const std::vector<Field>& fields, std::vector<ColumnSpec>& out) {
  for (const auto& f : fields) {
    if (f.repeated) {
      out.push_back({key_of(f), f.kind, true});
    } else if (!f.children.empty()) {
      collect_columns(f.children, out);
    } else {
      out.push_back({key_of(f), f.kind, false});
    }
  }
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string strip_zeros(std::string digits) {
  const auto nz = digits.find_first_not_of('0');
  return nz == std::string::npos ? "0" : digits.substr(nz);
}

}  // namespace

Field scalar(std::string name, std::string column, FieldKind kind) {
  Field f;
  f.name = std::move(name);
  f.column = std::move(column);
  f.kind = kind;
  return f;
}

Field group(std::string name, std::vector<Field> children) {
  Field f;
  f.name = std::move(name);
  f.children = std::move(children);
  return f;
}

Field repeated(std::string name, std::string column, std::vector<Field> children, FieldKind kind) {
  Field f;
  f.name = std::move(name);
  f.column = std::move(column);
  f.kind = kind;
  f.repeated = true;
  f.children = std::move(children);
  return f;
}

std::optional<std::string> normalise(FieldKind kind, const std::string& raw) {
  if (kind == FieldKind::kText) return raw;
  std::string s = trim(raw);
  switch (kind) {
    case FieldKind::kText:
      return raw;
    case FieldKind::kBool:
      if (s == "true" || s == "1") return std::string("true");
      if (s == "false" || s == "0") return std::string("false");
      return std::nullopt;
    case FieldKind::kInt: {
      std::string sign;
      if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        if (s[0] == '-') sign = "-";
        s = s.substr(1);
      }
      if (!all_digits(s)) return std::nullopt;
      s = strip_zeros(s);
      // bigint: up to 9223372036854775807 (and ...808 negative, which no body needs).
      if (s.size() > 19 || (s.size() == 19 && s > "9223372036854775807")) return std::nullopt;
      return s == "0" ? s : sign + s;
    }
    case FieldKind::kDecimal: {
      std::string sign;
      if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        if (s[0] == '-') sign = "-";
        s = s.substr(1);
      }
      const auto dot = s.find('.');
      std::string ip = dot == std::string::npos ? s : s.substr(0, dot);
      std::string fp = dot == std::string::npos ? "" : s.substr(dot + 1);
      if (ip.empty() && fp.empty()) return std::nullopt;
      if ((!ip.empty() && !all_digits(ip)) || (!fp.empty() && !all_digits(fp))) return std::nullopt;
      ip = strip_zeros(ip);
      std::string out = sign + ip + (dot == std::string::npos || fp.empty() ? "" : "." + fp);
      return out;
    }
    case FieldKind::kDate: {
      if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s.substr(0, 4)) ||
          !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2)))
        return std::nullopt;
      // A calendar date: PostgreSQL would refuse 2019-02-30 for the whole batch.
      const int y = std::stoi(s.substr(0, 4)), mo = std::stoi(s.substr(5, 2)),
                d = std::stoi(s.substr(8, 2));
      static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
      if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0))
        return std::nullopt;
      return s;
    }
    case FieldKind::kTimestamp: {
      // A dateTime without a zone is read as UTC: the store keeps instants.
      std::string t = s;
      if (t.size() >= 19 && t.find('Z', 19) == std::string::npos &&
          t.find('+', 19) == std::string::npos && t.find('-', 19) == std::string::npos)
        t += "Z";
      std::chrono::system_clock::time_point tp;
      try {
        tp = xml::parse_timestamp(t);
      } catch (const XmlError&) {
        return std::nullopt;
      }
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
      std::time_t secs = static_cast<std::time_t>(us / 1000000);
      long long frac = us % 1000000;
      if (frac < 0) frac += 1000000, --secs;
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char buf[40];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
      std::string out = buf;
      if (frac) {
        char f[8];
        std::snprintf(f, sizeof f, ".%06lld", frac);
        std::string fs = f;
        while (fs.back() == '0') fs.pop_back();
        out += fs;
      }
      return out + "Z";
    }
  }
  return std::nullopt;
}

std::vector<MappingIssue> read_record(const xml::Document& doc, const std::vector<Field>& fields,
                                      Record& out) {
  return read_record(doc.root(), fields, out);
}

std::vector<MappingIssue> read_record(xmlNodePtr root, const std::vector<Field>& fields,
                                      Record& out) {
  std::vector<MappingIssue> issues;
  out.clear();
  if (!root) {
    issues.push_back({"/", "empty document"});
    return issues;
  }
  RecordOut top{out, {}};
  Reader{issues}.content(root, fields, top);
  for (const auto& [k, a] : top.arrays) out[k] = json_text(a);
  return issues;
}

std::string write_body(const std::string& root, const std::vector<Field>& fields,
                       const Record& record) {
  std::string out;
  out.reserve(512);
  write_element(out, root, fields, RecordValues{record}, true);
  return out;
}

std::vector<ColumnSpec> columns_of(const std::vector<Field>& fields) {
  std::vector<ColumnSpec> out;
  collect_columns(fields, out);
  return out;
}

}  // namespace hub::billing
