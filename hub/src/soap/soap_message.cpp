#include "hub/soap/soap_message.h"

#include <libxml/tree.h>

#include <cctype>

namespace hub::soap {
namespace {

bool in_ns(xmlNodePtr n, const char* ns) {
  return n && n->ns && n->ns->href && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

bool is_soap(xmlNodePtr n, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && in_ns(n, kSoap11Ns) &&
         xmlStrEqual(n->name, BAD_CAST local);
}

int line_of(xmlNodePtr n) {
  return n ? static_cast<int>(xmlGetLineNo(n)) : 0;
}

[[noreturn]] void fail(const std::string& code, xmlNodePtr at, const std::string& why) {
  SoapFault f;
  f.code = code;
  const std::string path = at ? xml::node_path(at) : "/";
  f.reason = "line " + std::to_string(line_of(at)) + ": " + path + ": " + why;
  f.issues.push_back({line_of(at), path, why});
  throw SoapFaultError(std::move(f));
}

// The element children of `parent`; non-blank text beside them is a Client fault.
std::vector<xmlNodePtr> element_children(xmlNodePtr parent) {
  std::vector<xmlNodePtr> out;
  for (xmlNodePtr n = parent->children; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      out.push_back(n);
    } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
               !xmlIsBlankNode(n)) {
      fail("Client", parent, "text is not allowed here");
    }
  }
  return out;
}

bool must_understand(xmlNodePtr entry) {
  xmlChar* v = xmlGetNsProp(entry, BAD_CAST "mustUnderstand", BAD_CAST kSoap11Ns);
  if (!v) return false;
  const std::string s = reinterpret_cast<const char*>(v);
  xmlFree(v);
  return s == "1" || s == "true";
}

}  // namespace

std::string text_of(xmlNodePtr node) {
  if (!node) return {};
  xmlChar* v = xmlNodeGetContent(node);
  std::string s = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

SoapRequest parse_request(const std::string& bytes, std::size_t max_bytes) {
  SoapRequest r;
  xml::ParseLimits limits;
  limits.max_bytes = max_bytes;
  try {
    r.doc = xml::parse_xml(bytes, "request", limits);
  } catch (const XmlError& e) {
    // "request:<line>: <reason>"
    SoapFault f;
    f.reason = std::string("malformed SOAP request: ") + e.what();
    int line = 0;
    const std::string what = e.what();
    if (auto colon = what.find(':'); colon != std::string::npos) {
      try {
        line = std::stoi(what.substr(colon + 1));
      } catch (const std::exception&) {
      }
    }
    f.issues.push_back({line, "/", what});
    throw SoapFaultError(std::move(f));
  }
  xmlNodePtr root = r.doc.root();
  if (root && root->type == XML_ELEMENT_NODE && in_ns(root, kSoap12Ns) &&
      xmlStrEqual(root->name, BAD_CAST "Envelope")) {
    fail("VersionMismatch", root,
         "SOAP 1.2 envelope; this endpoint speaks SOAP 1.1 (" + std::string(kSoap11Ns) + ")");
  }
  if (!is_soap(root, "Envelope")) {
    fail("Client", root, "the root element must be {" + std::string(kSoap11Ns) + "}Envelope");
  }
  xmlNodePtr header = nullptr, body = nullptr;
  for (xmlNodePtr n : element_children(root)) {
    if (is_soap(n, "Header") && !header && !body) {
      header = n;
    } else if (is_soap(n, "Body") && !body) {
      body = n;
    } else {
      fail("Client", n, "unexpected element in soap:Envelope (expected Header?, Body)");
    }
  }
  if (!body) fail("Client", root, "soap:Body is missing");
  if (header) {
    for (xmlNodePtr entry : element_children(header)) {
      if (must_understand(entry)) {
        fail("MustUnderstand", entry,
             "header entry is marked mustUnderstand and is not understood");
      }
    }
  }
  const auto ops = element_children(body);
  if (ops.size() != 1) {
    fail("Client", body,
         "soap:Body must hold exactly one operation element, found " + std::to_string(ops.size()));
  }
  r.operation = ops.front();
  r.ns = r.operation->ns && r.operation->ns->href
             ? reinterpret_cast<const char*>(r.operation->ns->href)
             : "";
  r.local = reinterpret_cast<const char*>(r.operation->name);
  return r;
}

std::string envelope_xml(const std::string& body_xml) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<soapenv:Envelope xmlns:soapenv=\"";
  out += kSoap11Ns;
  out += "\"><soapenv:Body>";
  out += body_xml;
  out += "</soapenv:Body></soapenv:Envelope>\n";
  return out;
}

std::string fault_xml(const SoapFault& f) {
  std::string body = "<soapenv:Fault><faultcode>soapenv:" + f.code + "</faultcode><faultstring>" +
                     escape_xml(f.reason) + "</faultstring><detail><s:FaultDetail xmlns:s=\"" +
                     kServiceNs + "\"><s:reason>" + escape_xml(f.reason) + "</s:reason>";
  for (const auto& i : f.issues) {
    body += "<s:issue line=\"" + std::to_string(i.line) + "\" xpath=\"" +
            escape_xml(i.xpath, true) + "\">" + escape_xml(i.message) + "</s:issue>";
  }
  body += "</s:FaultDetail></detail></soapenv:Fault>";
  return envelope_xml(body);
}

}  // namespace hub::soap
