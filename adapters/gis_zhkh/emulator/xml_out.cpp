#include "xml_out.h"

#include <zlib.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>

#include "hub/plugin/text_escape.h"

namespace hub::adapters::gis_zhkh::emulator {
namespace {

struct Ns {
  const char* prefix;
  const char* uri;
};

constexpr const char* kIntegration = "http://dom.gosuslugi.ru/schema/integration/";

// Service roots and the shared lib/ namespaces, with the prefixes responses use.
constexpr std::array<std::pair<const char*, const char*>, 30> kPrefixes{{
    {"base", "base/"},
    {"hm", "house-management/"},
    {"dm", "device-metering/"},
    {"bills", "bills/"},
    {"pay", "payment/"},
    {"nsic", "nsi-common/"},
    {"nsi", "nsi/"},
    {"orgc", "organizations-registry-common/"},
    {"org", "organizations-registry/"},
    {"ap", "appeals/"},
    {"ab", "account-base/"},
    {"pb", "premises-base/"},
    {"bb", "bills-base/"},
    {"ib", "individual-registry-base/"},
    {"mdb", "metering-device-base/"},
    {"nb", "nsi-base/"},
    {"ob", "organizations-base/"},
    {"orb", "organizations-registry-base/"},
    {"pmb", "payments-base/"},
    {"drs", "drs/"},
    {"debts", "debts/"},
    {"cr", "capital-repair/"},
    {"fas", "fas/"},
    {"infra", "infrastructure/"},
    {"insp", "inspection/"},
    {"lic", "licenses/"},
    {"msp", "msp/"},
    {"outage", "outage-report/"},
    {"rap", "rap/"},
    {"tariff", "tariff/"},
}};

std::string uri_of(const char* tail) {
  return std::string(kIntegration) + tail;
}

}  // namespace

const char* prefix_of(std::string_view ns) {
  if (ns == kDsNs) return "ds";
  if (ns.rfind(kIntegration, 0) != 0) return nullptr;
  std::string_view tail = ns.substr(std::string_view(kIntegration).size());
  for (const auto& [p, t] : kPrefixes)
    if (tail == t) return p;
  return nullptr;
}

std::string namespace_declarations(std::string_view service_name) {
  static const std::string lib = [] {
    std::string s;
    for (const auto& [p, t] : kPrefixes) {
      std::string_view tv(t);
      if (tv == "base/" || (tv.size() > 6 && tv.substr(tv.size() - 6) == "-base/")) {
        s += std::string(" xmlns:") + p + "=\"" + uri_of(t) + "\"";
      }
    }
    return s + " xmlns:ds=\"" + kDsNs + "\"";
  }();
  std::string out = lib;
  for (const auto& [p, t] : kPrefixes) {
    std::string_view tv(t);
    if (tv.substr(0, tv.size() - 1) == service_name)
      out += std::string(" xmlns:") + p + "=\"" + uri_of(t) + "\"";
  }
  return out;
}

const char* service_prefix(std::string_view service_name) {
  for (const auto& [p, t] : kPrefixes) {
    std::string_view tv(t);
    if (tv.substr(0, tv.size() - 1) == service_name) return p;
  }
  return nullptr;
}

std::string escape(std::string_view text) {
  return plugin::xml_escaped(text, /*attribute=*/true);
}

void element(std::string& out, std::string_view qname, std::string_view text) {
  out += '<';
  out += qname;
  out += '>';
  out += escape(text);
  out += "</";
  out += qname;
  out += '>';
}

std::string text_of(xmlNodePtr n) {
  if (!n) return {};
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c ? reinterpret_cast<const char*>(c) : "";
  if (c) xmlFree(c);
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string local_name(xmlNodePtr n) {
  return n ? reinterpret_cast<const char*>(n->name) : "";
}

std::string ns_of(xmlNodePtr n) {
  return n && n->ns && n->ns->href ? reinterpret_cast<const char*>(n->ns->href) : "";
}

std::vector<xmlNodePtr> kids(xmlNodePtr parent, const char* local) {
  std::vector<xmlNodePtr> out;
  if (!parent) return out;
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && (!local || xmlStrEqual(c->name, BAD_CAST local)))
      out.push_back(c);
  return out;
}

xmlNodePtr kid(xmlNodePtr parent, const char* local) {
  if (!parent) return nullptr;
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST local)) return c;
  return nullptr;
}

std::string kid_text(xmlNodePtr parent, const char* local) {
  return text_of(kid(parent, local));
}

xmlNodePtr find(xmlNodePtr root, const char* local) {
  if (!root) return nullptr;
  for (xmlNodePtr c = root->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (xmlStrEqual(c->name, BAD_CAST local)) return c;
    if (xmlNodePtr d = find(c, local)) return d;
  }
  return nullptr;
}

namespace {
void find_all_into(xmlNodePtr root, const char* local, std::vector<xmlNodePtr>& out) {
  for (xmlNodePtr c = root->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (xmlStrEqual(c->name, BAD_CAST local)) out.push_back(c);
    find_all_into(c, local, out);
  }
}
}  // namespace

std::vector<xmlNodePtr> find_all(xmlNodePtr root, const char* local) {
  std::vector<xmlNodePtr> out;
  if (root) find_all_into(root, local, out);
  return out;
}

void copy_element(std::string& out, xmlNodePtr n, const Rename& rename) {
  std::string qname = rename ? rename(n) : std::string();
  std::string extra_ns;
  if (qname.empty()) {
    const std::string ns = ns_of(n);
    const char* p = prefix_of(ns);
    if (p) {
      qname = std::string(p) + ":" + local_name(n);
    } else if (ns.empty()) {
      qname = local_name(n);
    } else {
      qname = "x:" + local_name(n);
      extra_ns = " xmlns:x=\"" + escape(ns) + "\"";
    }
  }
  out += '<';
  out += qname;
  out += extra_ns;
  for (xmlAttrPtr a = n->properties; a; a = a->next) {
    std::string aname = reinterpret_cast<const char*>(a->name);
    if (a->ns && a->ns->href) {
      const char* p = prefix_of(reinterpret_cast<const char*>(a->ns->href));
      if (!p) continue;  // an attribute of a namespace the response does not declare
      aname = std::string(p) + ":" + aname;
    }
    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
    out += ' ' + aname + "=\"" + escape(v ? reinterpret_cast<const char*>(v) : "") + "\"";
    if (v) xmlFree(v);
  }
  bool any = false;
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      if (!any) out += '>', any = true;
      copy_element(out, c, rename);
    } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (xmlIsBlankNode(c)) continue;
      if (!any) out += '>', any = true;
      out += escape(reinterpret_cast<const char*>(c->content));
    }
  }
  if (!any) {
    out += "/>";
    return;
  }
  out += "</" + qname + ">";
}

std::string now_datetime() {
  using namespace std::chrono;
  auto now = system_clock::now() + hours(3);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+03:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string today_date() {
  return now_datetime().substr(0, 10);
}

GuidMint::GuidMint() {
  std::random_device rd;
  salt_ = rd();
}

std::string GuidMint::make(std::uint16_t kind, std::uint64_t seq) const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4e%02x-8%03x-%012llx", salt_, kind,
                static_cast<unsigned>((seq >> 60) & 0xf),
                static_cast<unsigned>((seq >> 48) & 0xfff),
                static_cast<unsigned long long>(seq & 0xffffffffffffULL));
  return buf;
}

std::optional<std::uint64_t> GuidMint::parse(std::uint16_t kind, std::string_view guid) const {
  if (guid.size() != 36) return std::nullopt;
  unsigned salt = 0, k = 0, hi = 0, mid = 0;
  unsigned long long lo = 0;
  std::string s(guid);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (std::sscanf(s.c_str(), "%8x-%4x-4e%2x-8%3x-%12llx", &salt, &k, &hi, &mid, &lo) != 5)
    return std::nullopt;
  if (salt != salt_ || k != kind) return std::nullopt;
  return (static_cast<std::uint64_t>(hi) << 60) | (static_cast<std::uint64_t>(mid) << 48) | lo;
}

std::string GuidMint::random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

// Compressed into a scratch buffer and returned at its exact size: resizing a string of
// compressBound() bytes down keeps its capacity, so every stored result held the size of the
// markup it was meant to save (~60 KB per 100-account import, most of the emulator's RSS).
std::string deflate(std::string_view data) {
  thread_local std::string scratch;
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  if (scratch.size() < size) scratch.resize(size);
  if (compress2(reinterpret_cast<Bytef*>(scratch.data()), &size,
                reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                1) != Z_OK) {
    throw std::runtime_error("deflate failed");
  }
  return std::string(scratch.data(), size);
}

std::string inflate(std::string_view data, std::size_t size_hint) {
  std::string out(size_hint, '\0');
  uLongf size = static_cast<uLongf>(size_hint);
  if (uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                 reinterpret_cast<const Bytef*>(data.data()),
                 static_cast<uLong>(data.size())) != Z_OK) {
    throw std::runtime_error("inflate failed");
  }
  out.resize(size);
  return out;
}

}  // namespace hub::adapters::gis_zhkh::emulator
