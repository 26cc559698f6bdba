#include "hub/soap/soap_endpoint.h"

#include <Poco/JSON/Array.h>
#include <libxml/tree.h>

#include <cctype>
#include <pqxx/pqxx>

#include "hub/api/admin_services.h"
#include "hub/core/log.h"
#include "hub/metrics/registry.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/xpath.h"

namespace hub::soap {
namespace {

Log& log() {
  static Log l("soap");
  return l;
}

constexpr const char* kXmlType = "text/xml; charset=utf-8";

int line_of(xmlNodePtr n) {
  return n ? static_cast<int>(xmlGetLineNo(n)) : 0;
}

[[noreturn]] void client_fault(xmlNodePtr at, const std::string& why) {
  SoapFault f;
  const std::string path = at ? xml::node_path(at) : "/";
  f.reason = "line " + std::to_string(line_of(at)) + ": " + path + ": " + why;
  f.issues.push_back({line_of(at), path, why});
  throw SoapFaultError(std::move(f));
}

[[noreturn]] void fault(const std::string& code, const std::string& why) {
  SoapFault f;
  f.code = code;
  f.reason = why;
  throw SoapFaultError(std::move(f));
}

bool is(xmlNodePtr n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST local);
}

std::vector<xmlNodePtr> elements(xmlNodePtr parent) {
  std::vector<xmlNodePtr> out;
  for (xmlNodePtr n = parent->children; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      out.push_back(n);
    } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
               !xmlIsBlankNode(n)) {
      client_fault(parent, "text is not allowed here");
    }
  }
  return out;
}

// Reads an operation element's children in their declared order (as the WSDL's sequence says).
class Fields {
 public:
  explicit Fields(xmlNodePtr op) : op_(op), kids_(elements(op)) {}

  xmlNodePtr take(const char* local, bool required) {
    if (i_ < kids_.size() && is(kids_[i_], kServiceNs, local)) return kids_[i_++];
    if (required) {
      client_fault(i_ < kids_.size() ? kids_[i_] : op_,
                   std::string("expected element {") + kServiceNs + "}" + local);
    }
    return nullptr;
  }
  std::vector<xmlNodePtr> take_all(const char* local) {
    std::vector<xmlNodePtr> out;
    while (i_ < kids_.size() && is(kids_[i_], kServiceNs, local)) out.push_back(kids_[i_++]);
    return out;
  }
  void done() {
    if (i_ < kids_.size()) client_fault(kids_[i_], "unexpected element");
  }

 private:
  xmlNodePtr op_;
  std::vector<xmlNodePtr> kids_;
  std::size_t i_ = 0;
};

int int_field(xmlNodePtr n, int def, int min, int max) {
  if (!n) return def;
  const std::string text = text_of(n);
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (used == text.size() && v >= min && v <= max) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  client_fault(
      n, "'" + text + "' is not an integer in " + std::to_string(min) + ".." + std::to_string(max));
}

std::string subscription_field(xmlNodePtr n) {
  const std::string s = text_of(n);
  bool ok = !s.empty();
  for (char ch : s) {
    ok =
        ok && (std::islower(static_cast<unsigned char>(ch)) ||
               std::isdigit(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-');
  }
  if (!ok) client_fault(n, "subscription '" + s + "' does not match [a-z0-9_.-]+");
  return s;
}

// Issues found in the envelope's own document, told in terms of the request: its XPath begins
// with the envelope's path in the SOAP document (line numbers are kept by the copy).
std::string in_request(const std::string& envelope_path, const std::string& xpath) {
  if (xpath.empty() || xpath == "/") return envelope_path;
  const auto second = xpath.find('/', 1);
  return envelope_path + (second == std::string::npos ? std::string() : xpath.substr(second));
}

[[noreturn]] void validation_fault(const std::string& what,
                                   std::vector<xml::ValidationIssue> issues) {
  SoapFault f;
  const auto& first = issues.front();
  f.reason =
      what + ": line " + std::to_string(first.line) + ": " + first.xpath + ": " + first.message;
  if (issues.size() > 1) f.reason += " (and " + std::to_string(issues.size() - 1) + " more)";
  f.issues = std::move(issues);
  throw SoapFaultError(std::move(f));
}

std::string as_xml_bool(bool b) {
  return b ? "true" : "false";
}

struct Operation {
  const char* name;     // "Submit"
  const char* element;  // "SubmitRequest"
};
constexpr Operation kOperations[] = {
    {"Submit", "SubmitRequest"}, {"Pull", "PullRequest"}, {"Ack", "AckRequest"}};

std::string unquoted(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  s.erase(0, b);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool host_ok(const std::string& host) {
  if (host.empty()) return false;
  for (char ch : host) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != ':' &&
        ch != '[' && ch != ']' && ch != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

SoapEndpoint::SoapEndpoint(ServiceDescription description, plugin::Emitter& ingress,
                           std::shared_ptr<const xml::SchemaRegistry> schemas, store::Pool& pool,
                           SoapQueues queues, SoapEndpointOptions options)
    : description_(std::move(description)),
      ingress_(ingress),
      schemas_(std::move(schemas)),
      pool_(pool),
      queues_(std::move(queues)),
      options_(std::move(options)) {
  auto& m = metrics::Registry::global();
  m.describe("zhkh_soap_requests_total",
             "SOAP operations by operation and outcome (ok or the fault code)");
}

std::vector<api::ApiRoute> SoapEndpoint::routes() {
  std::vector<api::ApiRoute> r;
  api::ApiRoute get_route;
  get_route.method = "GET";
  get_route.pattern = {"soap"};
  get_route.name = "soap.describe";
  get_route.root = true;
  get_route.anonymous = true;
  get_route.handler = [this](api::ApiRequest& req) { return get(req); };
  r.push_back(std::move(get_route));

  api::ApiRoute post_route;
  post_route.method = "POST";
  post_route.pattern = {"soap"};
  post_route.name = "soap";
  post_route.role = api::Role::kOperator;
  post_route.root = true;
  post_route.audit = false;  // see the header: successes are recorded where they act
  post_route.handler = [this](api::ApiRequest& req) { return post(req); };
  r.push_back(std::move(post_route));
  return r;
}

std::string SoapEndpoint::endpoint_url(const api::ApiRequest& request) const {
  if (!options_.public_url.empty()) return options_.public_url;
  const std::string host = request.header("host");
  if (!host_ok(host)) {
    throw api::ApiError(400, "a Host header (host[:port]) is needed to describe the endpoint");
  }
  return "http://" + host + "/soap";
}

api::ApiResponse SoapEndpoint::get(const api::ApiRequest& request) const {
  for (const auto& [k, v] : request.query) {
    std::string key = k;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (key == "wsdl")
      return api::ApiResponse::text(description_.wsdl(endpoint_url(request)), kXmlType);
    if (key == "xsd") {
      auto text = description_.xsd(v, endpoint_url(request));
      if (!text) {
        Poco::JSON::Array::Ptr names = new Poco::JSON::Array;
        for (const auto& n : description_.xsd_names()) names->add(n);
        throw api::ApiError(404, "no schema named '" + v + "'", names);
      }
      return api::ApiResponse::text(std::move(*text), kXmlType);
    }
  }
  throw api::ApiError(400, "GET /soap serves ?wsdl and ?xsd=NAME; operations are POSTed");
}

api::ApiResponse SoapEndpoint::post(api::ApiRequest& request) {
  auto& metrics = metrics::Registry::global();
  std::string operation = "unknown";
  try {
    SoapRequest soap = parse_request(request.body, options_.max_request_bytes);
    const Operation* op = nullptr;
    for (const auto& o : kOperations) {
      if (soap.ns == kServiceNs && soap.local == o.element) op = &o;
    }
    if (!op) {
      client_fault(soap.operation, "unknown operation {" + soap.ns + "}" + soap.local +
                                       " (this endpoint offers SubmitRequest, PullRequest and "
                                       "AckRequest in " +
                                       kServiceNs + ")");
    }
    operation = op->name;
    // SOAP 1.1 clients MUST send SOAPAction; "" means "see the Body", anything else must name
    // the Body's operation — a mismatch is a client whose stubs disagree with this WSDL.
    const auto header = request.headers.find("soapaction");
    if (header == request.headers.end()) {
      fault("Client",
            "the SOAPAction HTTP header is missing (expected \"" + soap_action(op->name) + "\")");
    }
    const std::string action = unquoted(header->second);
    if (!action.empty() && action != soap_action(op->name)) {
      fault("Client", "SOAPAction '" + action + "' does not match the Body's operation " +
                          op->name + " (expected \"" + soap_action(op->name) + "\")");
    }
    std::string body;
    if (operation == "Submit") {
      body = submit(soap.operation, request);
    } else if (operation == "Pull") {
      body = pull(soap.operation, request);
    } else {
      body = ack(soap.operation, request);
    }
    metrics.add("zhkh_soap_requests_total", {{"operation", operation}, {"outcome", "ok"}});
    return api::ApiResponse::text(envelope_xml(body), kXmlType, 200);
  } catch (const SoapFaultError& e) {
    metrics.add("zhkh_soap_requests_total",
                {{"operation", operation}, {"outcome", e.fault().code}});
    if (e.fault().code == "Server") {
      log().error("soap_server_fault", {{"operation", operation}, {"error", e.what()}});
    } else {
      log().info("soap_client_fault", {{"operation", operation}, {"error", e.what()}});
    }
    return api::ApiResponse::text(fault_xml(e.fault()), kXmlType, 500);
  } catch (const std::exception& e) {
    metrics.add("zhkh_soap_requests_total", {{"operation", operation}, {"outcome", "Server"}});
    log().error("soap_server_fault", {{"operation", operation}, {"error", e.what()}});
    SoapFault f;
    f.code = "Server";
    f.reason = operation + " failed: " + e.what();
    return api::ApiResponse::text(fault_xml(f), kXmlType, 500);
  }
}

std::string SoapEndpoint::submit(xmlNodePtr op, api::ApiRequest& request) {
  const auto kids = elements(op);
  if (kids.size() != 1 || !is(kids.front(), xml::kEnvelopeNs, "envelope")) {
    client_fault(kids.empty() ? op : kids.front(),
                 std::string("SubmitRequest holds exactly one {") + xml::kEnvelopeNs + "}envelope");
  }
  xmlNodePtr in_soap = kids.front();
  const std::string envelope_path = xml::node_path(in_soap);

  // The envelope as a document of its own: what envelope.xsd and Ingress expect. Namespaces
  // declared further up the SOAP document are re-declared on the copy; lines are kept.
  xmlDocPtr copy = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr root = xmlDocCopyNode(in_soap, copy, 1);
  if (!root) {
    xmlFreeDoc(copy);
    throw Error("cannot copy the submitted envelope");
  }
  xmlDocSetRootElement(copy, root);
  xml::Document doc(copy, "request");

  auto issues = schemas_->validate_envelope(doc);
  if (!issues.empty()) {
    for (auto& i : issues) i.xpath = in_request(envelope_path, i.xpath);
    validation_fault("the envelope does not validate", std::move(issues));
  }
  Envelope e;
  try {
    e = xml::envelope_from_xml(doc);
  } catch (const XmlError& err) {
    client_fault(in_soap, err.what());
  }
  // envelope.xsd checks the body laxly; a body that is not of the envelope's type is refused here
  // with its place in the request rather than later by Ingress.
  const xml::MessageType* type = schemas_->find(e.type);
  if (!type) {
    std::string known;
    for (const auto& t : schemas_->types()) known += (known.empty() ? "" : ", ") + t.type;
    SoapFault f;
    const std::string path = envelope_path + "/@type";
    f.reason = "line " + std::to_string(line_of(in_soap)) + ": " + path +
               ": unknown message type '" + e.type + "' (known: " + known + ")";
    f.issues.push_back({line_of(in_soap), path, "unknown message type '" + e.type + "'"});
    throw SoapFaultError(std::move(f));
  }
  for (xmlNodePtr n = in_soap->children; n; n = n->next) {
    if (!is(n, xml::kEnvelopeNs, "body")) continue;
    for (xmlNodePtr b = n->children; b; b = b->next) {
      if (b->type != XML_ELEMENT_NODE) continue;
      if (!is(b, type->root_ns.c_str(), type->root_element.c_str())) {
        client_fault(
            b, "the body of a " + e.type + " must be {" + type->root_ns + "}" + type->root_element);
      }
    }
  }
  if (e.source.empty()) {
    e.source = request.who.name;
  } else if (e.source != request.who.name && request.who.role < api::Role::kAdmin) {
    SoapFault f;
    const std::string path = envelope_path + "/@source";
    const std::string why = "token '" + request.who.name +
                            "' may only submit messages as source '" + request.who.name +
                            "', not '" + e.source + "'";
    f.reason = "line " + std::to_string(line_of(in_soap)) + ": " + path + ": " + why;
    f.issues.push_back({line_of(in_soap), path, why});
    throw SoapFaultError(std::move(f));
  }

  plugin::EmitResult result;
  try {
    std::vector<Envelope> batch;
    batch.push_back(e);
    result = ingress_.emit(std::move(batch));
  } catch (const plugin::RejectedInput& err) {
    SoapFault f;
    f.reason = std::string("Ingress refused the message: ") + err.what();
    f.issues.push_back({line_of(in_soap), envelope_path, err.what()});
    throw SoapFaultError(std::move(f));
  }
  std::string id;
  bool duplicate = false;
  if (result.accepted == 1 && !result.ids.empty()) {
    id = result.ids.front();
  } else {
    duplicate = true;
    id = existing_id(e.idempotency_key);
  }
  request.object = id;
  return std::string("<s:SubmitResponse xmlns:s=\"") + kServiceNs + "\"><s:messageId>" +
         escape_xml(id) + "</s:messageId><s:duplicate>" + as_xml_bool(duplicate) +
         "</s:duplicate></s:SubmitResponse>";
}

std::string SoapEndpoint::existing_id(const std::string& key) {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(lease.conn());
  const auto r = tx.exec_params("SELECT id::text FROM hub.message WHERE idempotency_key = $1", key);
  if (r.empty()) throw Error("duplicate idempotency key '" + key + "' has no journalled message");
  return r[0][0].c_str();
}

std::string SoapEndpoint::pull(xmlNodePtr op, api::ApiRequest& request) {
  Fields f(op);
  const std::string subscription = subscription_field(f.take("subscription", true));
  const int max = int_field(f.take("max", false), kDefaultPull, 1, kMaxPull);
  const int wait = int_field(f.take("waitSeconds", false), 0, 0, kMaxWaitSeconds);
  f.done();
  request.object = subscription;
  if (!queues_.pull) fault("Server", "no canonical queues on this node");
  std::vector<queue::QueuedMessage> batch;
  try {
    batch = queues_.pull(subscription, max, std::chrono::seconds(wait), request.who.name);
  } catch (const api::NotFound& e) {
    fault("Client", e.what());
  }
  std::string out = std::string("<s:PullResponse xmlns:s=\"") + kServiceNs + "\">";
  for (const auto& m : batch) {
    out += "<s:message><s:receipt>" + escape_xml(m.receipt) + "</s:receipt><s:deliveryCount>" +
           std::to_string(m.delivery_count) + "</s:deliveryCount>" +
           xml::envelope_to_xml(m.message) + "</s:message>";
  }
  out += "</s:PullResponse>";
  return out;
}

std::string SoapEndpoint::ack(xmlNodePtr op, api::ApiRequest& request) {
  Fields f(op);
  const std::string subscription = subscription_field(f.take("subscription", true));
  std::vector<std::string> receipts;
  for (xmlNodePtr n : f.take_all("receipt")) receipts.push_back(text_of(n));
  if (receipts.empty()) f.take("receipt", true);  // faults naming where one was expected
  f.done();
  request.object = subscription;
  if (!queues_.ack) fault("Server", "no canonical queues on this node");
  queue::AckResult result;
  try {
    result = queues_.ack(subscription, receipts);
  } catch (const api::NotFound& e) {
    fault("Client", e.what());
  }
  std::string out = std::string("<s:AckResponse xmlns:s=\"") + kServiceNs + "\"><s:acked>" +
                    std::to_string(result.acked) + "</s:acked>";
  for (const auto& r : result.rejected) out += "<s:rejected>" + escape_xml(r) + "</s:rejected>";
  out += "</s:AckResponse>";
  return out;
}

}  // namespace hub::soap
