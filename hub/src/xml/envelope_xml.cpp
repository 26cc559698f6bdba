#include "hub/xml/envelope_xml.h"

#include <libxml/tree.h>

#include <cctype>
#include <cstdio>
#include <ctime>

#include "hub/core/error.h"
#include "hub/xml/xpath.h"

namespace hub::xml {
namespace {

std::string escape(const std::string& s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default: out += ch;
    }
  }
  return out;
}

void attr(std::string& out, const char* name, const std::string& value) {
  if (value.empty()) return;
  out += ' ';
  out += name;
  out += "=\"";
  out += escape(value, true);
  out += '"';
}

// The body is embedded as markup; an XML declaration inside an element would be malformed.
std::string_view without_declaration(std::string_view body) {
  std::size_t i = 0;
  if (body.size() >= 3 && static_cast<unsigned char>(body[0]) == 0xEF &&
      static_cast<unsigned char>(body[1]) == 0xBB && static_cast<unsigned char>(body[2]) == 0xBF)
    i = 3;  // UTF-8 BOM
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  if (body.compare(i, 5, "<?xml") == 0) {
    auto end = body.find("?>", i);
    if (end != std::string_view::npos) {
      i = end + 2;
      while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    }
  }
  return body.substr(i);
}

std::string prop(xmlNodePtr n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string out = reinterpret_cast<const char*>(v);
  xmlFree(v);
  return out;
}

bool is_env(xmlNodePtr n, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST kEnvelopeNs) &&
         xmlStrEqual(n->name, BAD_CAST local);
}

std::string where(const Document& doc, xmlNodePtr n) {
  return doc.name() + ":" + std::to_string(n ? xmlGetLineNo(n) : 0) + ": " + (n ? node_path(n) : "/");
}

}  // namespace

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int millis = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::chrono::system_clock::time_point parse_timestamp(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  int y, mo, d, h, mi, s, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19 ||
      mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    throw XmlError("timestamp '" + text + "': expected YYYY-MM-DDTHH:MM:SS[.fff]Z");
  }
  std::size_t i = 19;
  long long micros = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (digits < 6) micros = micros * 10 + (text[i] - '0'), ++digits;
      ++i;
    }
    if (digits == 0) throw XmlError("timestamp '" + text + "': empty fraction");
    for (; digits < 6; ++digits) micros *= 10;
  }
  long offset_s = 0;
  if (i < text.size() && text[i] == 'Z') {
    ++i;
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-') && text[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
      throw XmlError("timestamp '" + text + "': bad offset");
    offset_s = (oh * 3600L + om * 60L) * (text[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    throw XmlError("timestamp '" + text + "': needs a zone (Z or ±HH:MM)");
  }
  if (i != text.size()) throw XmlError("timestamp '" + text + "': trailing characters");
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t secs = timegm(&tm) - offset_s;
  return std::chrono::system_clock::time_point(std::chrono::seconds(secs)) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(micros));
}

std::string envelope_to_xml(const Envelope& e) {
  std::string out = "<e:envelope xmlns:e=\"";
  out += kEnvelopeNs;
  out += '"';
  attr(out, "id", e.id);
  attr(out, "type", e.type);
  attr(out, "schemaVersion", std::to_string(e.schema_version));
  attr(out, "source", e.source);
  attr(out, "occurredAt", format_timestamp(e.occurred_at));
  attr(out, "correlationId", e.correlation_id);
  attr(out, "causationId", e.causation_id);
  attr(out, "idempotencyKey", e.idempotency_key);
  out += '>';
  for (const auto& [k, v] : e.headers) {
    out += "<e:header name=\"" + escape(k, true) + "\">" + escape(v, false) + "</e:header>";
  }
  out += "<e:body>";
  out += without_declaration(e.body);
  out += "</e:body></e:envelope>";
  return out;
}

Envelope envelope_from_xml(const Document& doc) {
  xmlNodePtr root = doc.root();
  if (!is_env(root, "envelope")) {
    throw XmlError(where(doc, root) + ": expected root {" + std::string(kEnvelopeNs) + "}envelope");
  }
  Envelope e;
  auto required = [&](const char* name) {
    std::string v = prop(root, name);
    if (v.empty()) throw XmlError(where(doc, root) + "/@" + name + ": missing");
    return v;
  };
  e.id = prop(root, "id");
  e.type = required("type");
  const std::string version = prop(root, "schemaVersion");
  if (!version.empty()) {
    try {
      std::size_t used = 0;
      e.schema_version = std::stoi(version, &used);
      if (used != version.size() || e.schema_version < 1) throw std::invalid_argument(version);
    } catch (const std::exception&) {
      throw XmlError(where(doc, root) + "/@schemaVersion: '" + version + "' is not a positive integer");
    }
  }
  e.source = prop(root, "source");
  const std::string occurred = prop(root, "occurredAt");
  if (!occurred.empty()) {
    try {
      e.occurred_at = parse_timestamp(occurred);
    } catch (const XmlError& err) {
      throw XmlError(where(doc, root) + "/@occurredAt: " + err.what());
    }
  }
  e.correlation_id = prop(root, "correlationId");
  e.causation_id = prop(root, "causationId");
  e.idempotency_key = required("idempotencyKey");

  xmlNodePtr body = nullptr;
  for (xmlNodePtr n = root->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (is_env(n, "header")) {
      std::string name = prop(n, "name");
      if (name.empty()) throw XmlError(where(doc, n) + "/@name: missing");
      xmlChar* v = xmlNodeGetContent(n);
      e.headers[name] = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
    } else if (is_env(n, "body")) {
      if (body) throw XmlError(where(doc, n) + ": more than one e:body");
      body = n;
    } else {
      throw XmlError(where(doc, n) + ": unexpected element");
    }
  }
  if (!body) throw XmlError(where(doc, root) + "/e:body: missing");
  xmlNodePtr content = nullptr;
  for (xmlNodePtr n = body->children; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      if (content) throw XmlError(where(doc, n) + ": e:body holds more than one element");
      content = n;
    } else if (n->type == XML_TEXT_NODE && !xmlIsBlankNode(n)) {
      throw XmlError(where(doc, n) + ": text outside the body element");
    }
  }
  if (!content) throw XmlError(where(doc, body) + ": e:body is empty");

  // Copy into a document of its own: namespaces declared on the envelope are re-declared on the
  // copied root, so the body stands alone.
  xmlDocPtr copy = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr node = xmlDocCopyNode(content, copy, 1);
  if (!node) {
    xmlFreeDoc(copy);
    throw XmlError(where(doc, content) + ": cannot copy the body");
  }
  xmlDocSetRootElement(copy, node);
  e.body = Document(copy, doc.name()).to_string();
  return e;
}

}  // namespace hub::xml
