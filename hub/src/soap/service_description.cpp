#include "hub/soap/service_description.h"

#include <libxml/tree.h>
#include <yaml-cpp/yaml.h>

#include <deque>
#include <set>

#include "hub/core/error.h"
#include "hub/soap/soap_message.h"
#include "hub/xml/document.h"
#include "hub/xml/xpath.h"

namespace hub::soap {
namespace {

namespace fs = std::filesystem;

constexpr const char* kXsNs = "http://www.w3.org/2001/XMLSchema";
// Stands for the endpoint URL in the stored texts; replaced per request (the URL comes from the
// Host the client used, so one node answers correctly under every name it is reached by).
constexpr const char* kBase = "@@ZHKH_SOAP_ENDPOINT@@";
constexpr const char* kSetName = "canonical";

bool local_name_ok(const std::string& n) {
  return !n.empty() && n.find('/') == std::string::npos && n.find('\\') == std::string::npos &&
         n.find(':') == std::string::npos && n.find('?') == std::string::npos &&
         n.find('&') == std::string::npos && n.find('#') == std::string::npos && n != "." &&
         n != ".." && n != kSetName;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  std::size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

std::string location(const std::string& name) {
  return std::string(kBase) + "?xsd=" + name;
}

std::string scalar(const YAML::Node& n, const std::string& file, const std::string& key) {
  if (!n || !n.IsScalar()) {
    throw ConfigError(file, n ? n.Mark().line + 1 : 0, key, "expected a file name");
  }
  return n.as<std::string>();
}

// The service's own element declarations; imports point at the served XSDs.
std::string service_schema(const std::string& envelope_xsd, const std::string& canonical_ns) {
  const std::string max_pull = std::to_string(kMaxPull);
  const std::string max_wait = std::to_string(kMaxWaitSeconds);
  return std::string(
             "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
             "           xmlns:s=\"") +
         kServiceNs + "\" xmlns:e=\"" + xml::kEnvelopeNs +
         "\"\n"
         "           targetNamespace=\"" +
         kServiceNs +
         "\" elementFormDefault=\"qualified\">\n"
         "      <xs:import namespace=\"" +
         xml::kEnvelopeNs + "\" schemaLocation=\"" + location(envelope_xsd) +
         "\"/>\n"
         "      <xs:import namespace=\"" +
         escape_xml(canonical_ns, true) + "\" schemaLocation=\"" + location(kSetName) +
         "\"/>\n"
         R"(      <xs:simpleType name="SubscriptionName">
        <xs:restriction base="xs:string">
          <xs:pattern value="[a-z0-9_.\-]+"/>
        </xs:restriction>
      </xs:simpleType>
      <xs:element name="SubmitRequest">
        <xs:annotation><xs:documentation>One canonical message in its envelope wire form; its
          idempotencyKey makes a repeated Submit harmless.</xs:documentation></xs:annotation>
        <xs:complexType>
          <xs:sequence>
            <xs:element ref="e:envelope"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="SubmitResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="messageId" type="xs:string"/>
            <xs:element name="duplicate" type="xs:boolean"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="PullRequest">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="subscription" type="s:SubscriptionName"/>
            <xs:element name="max" minOccurs="0">
              <xs:simpleType>
                <xs:restriction base="xs:int">
                  <xs:minInclusive value="1"/>
                  <xs:maxInclusive value=")" +
         max_pull + R"("/>
                </xs:restriction>
              </xs:simpleType>
            </xs:element>
            <xs:element name="waitSeconds" minOccurs="0">
              <xs:simpleType>
                <xs:restriction base="xs:int">
                  <xs:minInclusive value="0"/>
                  <xs:maxInclusive value=")" +
         max_wait + R"("/>
                </xs:restriction>
              </xs:simpleType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:complexType name="QueuedMessage">
        <xs:sequence>
          <xs:element name="receipt" type="xs:string"/>
          <xs:element name="deliveryCount" type="xs:int"/>
          <xs:element ref="e:envelope"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="PullResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="message" type="s:QueuedMessage" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="AckRequest">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="subscription" type="s:SubscriptionName"/>
            <xs:element name="receipt" type="xs:string" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="AckResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="acked" type="xs:int"/>
            <xs:element name="rejected" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="FaultDetail">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="reason" type="xs:string"/>
            <xs:element name="issue" minOccurs="0" maxOccurs="unbounded">
              <xs:complexType>
                <xs:simpleContent>
                  <xs:extension base="xs:string">
                    <xs:attribute name="line" type="xs:int"/>
                    <xs:attribute name="xpath" type="xs:string"/>
                  </xs:extension>
                </xs:simpleContent>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:schema>)";
}

std::string operation_messages(const std::string& op) {
  return "  <wsdl:message name=\"" + op +
         "Request\">\n    <wsdl:part name=\"parameters\" element=\"s:" + op +
         "Request\"/>\n  </wsdl:message>\n  <wsdl:message name=\"" + op +
         "Response\">\n    <wsdl:part name=\"parameters\" element=\"s:" + op +
         "Response\"/>\n  </wsdl:message>\n";
}

std::string port_operation(const std::string& op, const std::string& doc) {
  return "    <wsdl:operation name=\"" + op + "\">\n      <wsdl:documentation>" + doc +
         "</wsdl:documentation>\n      <wsdl:input message=\"s:" + op +
         "Request\"/>\n      <wsdl:output message=\"s:" + op +
         "Response\"/>\n      <wsdl:fault name=\"Fault\" message=\"s:Fault\"/>\n    "
         "</wsdl:operation>\n";
}

std::string binding_operation(const std::string& op) {
  return "    <wsdl:operation name=\"" + op + "\">\n      <soap:operation soapAction=\"" +
         soap_action(op) +
         "\" style=\"document\"/>\n      <wsdl:input><soap:body use=\"literal\"/></wsdl:input>\n"
         "      <wsdl:output><soap:body use=\"literal\"/></wsdl:output>\n"
         "      <wsdl:fault name=\"Fault\"><soap:fault name=\"Fault\" "
         "use=\"literal\"/></wsdl:fault>\n"
         "    </wsdl:operation>\n";
}

}  // namespace

std::string soap_action(const std::string& operation) {
  return std::string(kServiceNs) + "#" + operation;
}

ServiceDescription ServiceDescription::load(const fs::path& dir) {
  const std::string file = (dir / "types.yaml").string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw ConfigError(file, 0, "", "cannot read the canonical types file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, "", e.msg);
  }
  if (!root.IsMap()) throw ConfigError(file, 1, "", "expected a mapping");
  ServiceDescription d;
  d.canonical_ns_ = scalar(root["namespace"], file, "namespace");
  const std::string envelope = scalar(root["envelope"], file, "envelope");
  if (!local_name_ok(envelope)) {
    throw ConfigError(file, root["envelope"].Mark().line + 1, "envelope",
                      "'" + envelope + "' must be a file name in " + dir.string());
  }
  const YAML::Node types = root["types"];
  if (!types || !types.IsMap()) throw ConfigError(file, 0, "types", "expected a mapping");

  // Body XSDs in types.yaml order (the generated set includes them), then the envelope; what they
  // include or import follows breadth first.
  std::vector<std::string> bodies;
  std::deque<std::string> pending;
  std::set<std::string> seen;
  for (const auto& kv : types) {
    const std::string key = kv.first.as<std::string>() + ".xsd";
    const std::string x = scalar(kv.second["xsd"], file, key);
    if (!local_name_ok(x)) {
      throw ConfigError(file, kv.second["xsd"].Mark().line + 1, key,
                        "'" + x + "' must be a file name in " + dir.string());
    }
    if (seen.insert(x).second) {
      bodies.push_back(x);
      pending.push_back(x);
    }
  }
  if (seen.insert(envelope).second) pending.push_back(envelope);

  while (!pending.empty()) {
    const std::string name = pending.front();
    pending.pop_front();
    const std::string path = (dir / name).string();
    if (!fs::is_regular_file(dir / name)) throw ConfigError(path, 0, "", "no such schema file");
    xml::Document doc = xml::parse_xml_file(path);
    xmlNodePtr schema = doc.root();
    if (!schema || !schema->ns || !xmlStrEqual(schema->ns->href, BAD_CAST kXsNs) ||
        !xmlStrEqual(schema->name, BAD_CAST "schema")) {
      throw XmlError(path + ":1: not an XML Schema (root must be xs:schema)");
    }
    for (xmlNodePtr n = schema->children; n; n = n->next) {
      if (n->type != XML_ELEMENT_NODE || !n->ns || !xmlStrEqual(n->ns->href, BAD_CAST kXsNs)) {
        continue;
      }
      const std::string local = reinterpret_cast<const char*>(n->name);
      if (local != "include" && local != "import" && local != "redefine" && local != "override") {
        continue;
      }
      xmlChar* loc = xmlGetNoNsProp(n, BAD_CAST "schemaLocation");
      if (!loc) continue;
      const std::string target = reinterpret_cast<const char*>(loc);
      xmlFree(loc);
      if (!local_name_ok(target)) {
        throw XmlError(path + ":" + std::to_string(xmlGetLineNo(n)) + ": schemaLocation '" +
                       target + "' must name a file beside it");
      }
      xmlSetProp(n, BAD_CAST "schemaLocation", BAD_CAST location(target).c_str());
      if (seen.insert(target).second) pending.push_back(target);
    }
    d.names_.push_back(name);
    d.xsds_[name] = doc.to_string();
  }

  std::string set =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- Every canonical body XSD of this hub (schemas/canonical/types.yaml), as one schema. "
      "-->\n"
      "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"" +
      escape_xml(d.canonical_ns_, true) + "\" elementFormDefault=\"qualified\">\n";
  for (const auto& b : bodies) set += "  <xs:include schemaLocation=\"" + location(b) + "\"/>\n";
  set += "</xs:schema>\n";
  d.xsds_[kSetName] = set;
  d.names_.insert(d.names_.begin(), kSetName);

  const std::string ops[] = {"Submit", "Pull", "Ack"};
  std::string w =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<wsdl:definitions name=\"ZhkhHub\" targetNamespace=\"" +
      std::string(kServiceNs) +
      "\"\n    xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\"\n"
      "    xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\"\n"
      "    xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n    xmlns:s=\"" +
      kServiceNs +
      "\">\n"
      "  <wsdl:documentation>zhkh-hub: submit canonical messages (envelope + body as in the "
      "canonical XSDs) and consume canonical queues (pull, ack; at-least-once). Calls need "
      "'Authorization: Bearer &lt;token&gt;' with role operator.</wsdl:documentation>\n"
      "  <wsdl:types>\n    " +
      service_schema(envelope, d.canonical_ns_) + "\n  </wsdl:types>\n";
  for (const auto& op : ops) w += operation_messages(op);
  w += "  <wsdl:message name=\"Fault\">\n    <wsdl:part name=\"detail\" "
       "element=\"s:FaultDetail\"/>\n  </wsdl:message>\n"
       "  <wsdl:portType name=\"HubPortType\">\n";
  w += port_operation("Submit",
                      "Journals one canonical message through Ingress; returns its id (the "
                      "existing id when the idempotency key is already journalled).");
  w += port_operation("Pull",
                      "Up to max visible messages of a subscription, waiting up to waitSeconds "
                      "for the first; each comes with a receipt to ack.");
  w += port_operation("Ack",
                      "Acknowledges processed messages by receipt; unknown or expired receipts "
                      "are returned as rejected (those messages come again).");
  w +=
      "  </wsdl:portType>\n"
      "  <wsdl:binding name=\"HubSoapBinding\" type=\"s:HubPortType\">\n"
      "    <soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>\n";
  for (const auto& op : ops) w += binding_operation(op);
  w += std::string(
           "  </wsdl:binding>\n"
           "  <wsdl:service name=\"HubService\">\n"
           "    <wsdl:port name=\"HubSoapPort\" binding=\"s:HubSoapBinding\">\n"
           "      <soap:address location=\"") +
       kBase +
       "\"/>\n"
       "    </wsdl:port>\n"
       "  </wsdl:service>\n"
       "</wsdl:definitions>\n";
  d.wsdl_ = std::move(w);
  return d;
}

std::string ServiceDescription::wsdl(const std::string& endpoint_url) const {
  return replace_all(wsdl_, kBase, endpoint_url);
}

std::optional<std::string> ServiceDescription::xsd(const std::string& name,
                                                   const std::string& endpoint_url) const {
  auto it = xsds_.find(name);
  if (it == xsds_.end()) return std::nullopt;
  return replace_all(it->second, kBase, endpoint_url);
}

std::vector<std::string> ServiceDescription::xsd_names() const {
  return names_;
}

}  // namespace hub::soap
