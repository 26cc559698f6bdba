#include "emulator.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <atomic>
#include <cctype>
#include <iostream>
#include <sstream>
#include <thread>

#include "hub/core/error.h"
#include "hub/crypto/xml_signer.h"
#include "hub/crypto/xml_verifier.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_set.h"
#include "operations.h"
#include "store.h"
#include "xml_out.h"

namespace hub::adapters::gis_zhkh::emulator {

namespace {

struct Answer {
  int status = 200;
  std::string content_type = "text/xml; charset=utf-8";
  std::string body;
};

/// A SOAP fault to answer with (thrown inside the SOAP path, caught at its top).
struct FaultAnswer {
  std::string faultcode;  ///< "Client" / "Server"
  std::string code;       ///< base:Fault/ErrorCode
  std::string text;
};

constexpr const char* kFormatError = "FMT001300";
constexpr const char* kTransient = "EXP001000";
constexpr const char* kTransientText =
    "Произошла ошибка при передаче данных. Попробуйте осуществить передачу данных повторно.";
// GIS's code for a rejected signature is not documented in the public sources; AUT011000 is its
// generic authorisation error, which is what clients see when a signature does not check.
constexpr const char* kSignatureError = "AUT011000";

[[noreturn]] void client_fault(const std::string& code, const std::string& text) {
  throw FaultAnswer{"Client", code, text};
}

std::string describe(const std::vector<xml::ValidationIssue>& issues) {
  const auto& f = issues.front();
  std::string s = "line " + std::to_string(f.line) + " " + f.xpath + ": " + f.message;
  if (issues.size() > 1) s += " (and " + std::to_string(issues.size() - 1) + " more)";
  return s;
}

bool is(xmlNodePtr n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && ns_of(n) == ns && local_name(n) == local;
}

std::string fault_xml(const FaultAnswer& f) {
  std::string out = std::string("<soapenv:Envelope xmlns:soapenv=\"") + kSoapNs +
                    "\"><soapenv:Body><soapenv:Fault><faultcode>soapenv:" + f.faultcode +
                    "</faultcode><faultstring>" + escape(f.code + ": " + f.text) +
                    "</faultstring><detail><base:Fault xmlns:base=\"" + kBaseNs + "\">";
  element(out, "base:ErrorCode", f.code);
  element(out, "base:ErrorMessage", f.text);
  return out + "</base:Fault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>";
}

std::string result_header(const std::string& message_guid) {
  std::string out =
      std::string("<soapenv:Header><base:ResultHeader xmlns:base=\"") + kBaseNs + "\">";
  element(out, "base:Date", now_datetime());
  element(out, "base:MessageGUID", message_guid);
  return out + "</base:ResultHeader></soapenv:Header>";
}

std::string envelope(const std::string& header, const std::string& body) {
  return std::string("<soapenv:Envelope xmlns:soapenv=\"") + kSoapNs + "\">" + header +
         "<soapenv:Body>" + body + "</soapenv:Body></soapenv:Envelope>";
}

}  // namespace

struct GisEmulator::Impl {
  EmulatorOptions o;
  std::shared_ptr<const xml::SchemaPackage> pkg;
  Store store;
  std::map<std::string, std::string> result_versions;  // service → getStateResult base:version
  std::atomic<long> to_state2_ms{0}, to_state3_ms{0};
  std::atomic<int> signatures{0};
  std::atomic<bool> validate_responses{true};
  Clock::time_point started = Clock::now();
  std::unique_ptr<crypto::XmlSigner> signer;  // responses, when configured
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int bound_port = 0;

  explicit Impl(EmulatorOptions options) : o(std::move(options)) {
    pkg = xml::SchemaPackage::load(o.schemas);
    for (const auto& s : pkg->services()) {
      const xml::VersionRule* r = pkg->version_rule(s.ns, "getStateResult");
      result_versions[s.name] = r && !r->accepted.empty() ? r->accepted.front() : pkg->version();
    }
    to_state2_ms = static_cast<long>(o.to_state2.count());
    to_state3_ms = static_cast<long>(o.to_state3.count());
    signatures = static_cast<int>(o.signatures);
    validate_responses = o.validate_responses;
    if (!o.sign_key.empty()) {
      crypto::SigningKeyOptions k;
      k.profile = o.sign_profile;
      k.key_file = o.sign_key;
      k.cert_file = o.sign_cert;
      signer = crypto::XmlSigner::open(k);
    }
    store.max_accounts = o.max_accounts;
    store.max_messages = o.max_messages;
  }

  // ---- SOAP ------------------------------------------------------------------------------------

  Answer soap(const xml::GisService& svc, std::string action, const std::string& bytes) {
    {
      std::lock_guard lock(store.mu);
      ++store.requests;
    }
    try {
      return soap_inner(svc, std::move(action), bytes);
    } catch (const FaultAnswer& f) {
      {
        std::lock_guard lock(store.mu);
        ++store.soap_faults;
      }
      if (o.log_requests) std::cerr << "fault " << f.code << ": " << f.text << "\n";
      return {500, "text/xml; charset=utf-8", fault_xml(f)};
    }
  }

  Answer soap_inner(const xml::GisService& svc, std::string action, const std::string& bytes) {
    xml::Document doc;
    try {
      doc = xml::parse_xml(bytes, "request", {o.max_request_bytes, 256});
    } catch (const hub::XmlError& e) {
      client_fault(kFormatError, std::string("Некорректный XML: ") + e.what());
    }
    xmlNodePtr env = doc.root();
    if (!is(env, kSoapNs, "Envelope")) {
      client_fault(kFormatError, "the root element {" + ns_of(env) + "}" + local_name(env) +
                                     " is not a SOAP 1.1 Envelope {" + kSoapNs + "}Envelope");
    }
    xmlNodePtr header = nullptr, body = nullptr;
    for (xmlNodePtr c : kids(env)) {
      if (is(c, kSoapNs, "Header")) header = c;
      if (is(c, kSoapNs, "Body")) body = c;
    }
    if (!body) client_fault(kFormatError, "no soapenv:Body");
    auto body_kids = kids(body);
    if (body_kids.size() != 1)
      client_fault(kFormatError, "soapenv:Body must hold exactly one element");
    xmlNodePtr req = body_kids.front();
    const xml::GisOperation* op = svc.operation_by_request(ns_of(req), local_name(req));
    if (!op) {
      client_fault(kFormatError, "{" + ns_of(req) + "}" + local_name(req) +
                                     " is not a request of the " + svc.name + " service (" +
                                     svc.endpoint_path + ")");
    }
    if (action.size() >= 2 && action.front() == '"' && action.back() == '"')
      action = action.substr(1, action.size() - 2);
    if (!action.empty() && action != op->soap_action) {
      client_fault(kFormatError, "SOAPAction '" + action + "' does not match the body element " +
                                     local_name(req) + " (expected '" + op->soap_action + "')");
    }
    inject_transport_faults(op->name);

    xmlNodePtr h = nullptr;
    for (xmlNodePtr c : kids(header))
      if (is(c, kBaseNs, op->header.c_str())) h = c;
    if (!h)
      client_fault(kFormatError,
                   "the SOAP header has no base:" + op->header + " (operation " + op->name + ")");
    if (auto issues = pkg->validate_element(h); !issues.empty())
      client_fault(kFormatError, describe(issues));
    if (auto issues = pkg->validate_element(req); !issues.empty())
      client_fault(kFormatError, describe(issues));

    if (op->name != "getState") check_signature(req);
    const std::string requester = kid_text(h, "MessageGUID");
    const std::string sender = kid_text(h, "orgPPAGUID");
    if (op->name == "getState") return get_state(svc, kid_text(req, "MessageGUID"));
    return accept(svc, *op, req, requester, sender);
  }

  void inject_transport_faults(const std::string& operation) {
    std::optional<Fault> hang, http500, fault;
    {
      std::lock_guard lock(store.mu);
      hang = store.take_fault("hang", operation);
      http500 = store.take_fault("http_500", operation);
      if (!http500) fault = store.take_fault("soap_fault", operation);
    }
    if (hang)
      std::this_thread::sleep_for(
          std::chrono::milliseconds(static_cast<long>(hang->seconds * 1000)));
    if (http500)
      throw Answer{500, "text/plain; charset=utf-8",
                   "Internal Server Error (injected by the emulator)\n"};
    if (fault) {
      throw FaultAnswer{"Server", fault->code.empty() ? kTransient : fault->code,
                        fault->text.empty() ? kTransientText : fault->text};
    }
  }

  // Verifies the request's own parsed document: parsing the same bytes again for the verifier
  // cost a second parse of every request (about a tenth of the emulator's CPU) that GIS would not
  // spend either; the validation before it leaves the tree as parsed.
  void check_signature(xmlNodePtr req) {
    const auto mode = static_cast<SignatureMode>(signatures.load());
    if (mode == SignatureMode::kOff) return;
    xmlNodePtr sig = nullptr;
    for (xmlNodePtr c : kids(req))
      if (is(c, kDsNs, "Signature")) sig = c;
    if (!sig) {
      if (mode == SignatureMode::kRequire) {
        client_fault(kSignatureError, "the request " + local_name(req) +
                                          " carries no ds:Signature (an enveloped signature of "
                                          "Id=\"signed-data-container\")");
      }
      return;
    }
    auto result = crypto::verify_xml_signature(req->doc, "request");
    if (!result.ok) client_fault(kSignatureError, "signature check failed: " + result.error);
    bool covers = false;
    std::string id = "#";
    if (xmlChar* v = xmlGetNoNsProp(req, BAD_CAST "Id")) {
      id += reinterpret_cast<const char*>(v);
      xmlFree(v);
    }
    for (const auto& r : result.references) covers = covers || r == id;
    if (!covers)
      client_fault(kSignatureError,
                   "the signature does not cover the request element (" + id + ")");
  }

  Answer ack(const std::string& guid, const std::string& requester) {
    std::string body = std::string("<base:AckRequest xmlns:base=\"") + kBaseNs + "\"><base:Ack>";
    element(body, "base:MessageGUID", guid);
    element(body, "base:RequesterMessageGUID", requester);
    body += "</base:Ack></base:AckRequest>";
    return {200, "text/xml; charset=utf-8", envelope(result_header(guid), body)};
  }

  Answer accept(const xml::GisService& svc, const xml::GisOperation& op, xmlNodePtr req,
                const std::string& requester, const std::string& sender) {
    auto h = handlers().find(op.name);
    if (h == handlers().end()) {
      throw FaultAnswer{"Server", "EMULATOR",
                        "the emulator does not implement " + op.name + " (" + svc.name + ")"};
    }
    std::lock_guard lock(store.mu);
    // A resend of the same message (same MessageGUID from the same sender) gets the same Ack and
    // is not processed again (as MosGIS does; GIS's own behaviour is not documented).
    if (auto d = store.by_requester.find({requester, sender}); d != store.by_requester.end()) {
      ++store.duplicates;
      return ack(d->second, requester);
    }
    Message m;
    std::string deflated;  // the result, stored with the message (Store::remember)
    m.guid = GuidMint::random();
    m.requester_guid = requester;
    m.sender = sender;
    m.service = svc.name;
    m.operation = op.name;
    m.result_version = result_versions.at(svc.name);
    m.accepted = Clock::now();
    m.to_state2 = std::chrono::milliseconds(to_state2_ms.load());
    m.to_state3 = std::chrono::milliseconds(to_state3_ms.load());
    m.stuck = store.take_fault("stuck", op.name).has_value();
    if (auto f = store.take_fault("error_message", op.name)) {
      m.error_code = f->code.empty() ? kTransient : f->code;
      m.error_text = f->text.empty() ? kTransientText : f->text;
    } else if (store.take_fault("no_objects", op.name)) {
      m.error_code = kNoObjects;
      m.error_text = kNoObjectsText;
    } else {
      OpContext c{store, req, sender};
      OpResult r;
      try {
        r = h->second(c);
      } catch (const std::exception& e) {
        r.error_code = kTransient;
        r.error_text = std::string("Внутренняя ошибка эмулятора: ") + e.what();
      }
      m.error_code = std::move(r.error_code);
      m.error_text = std::move(r.error_text);
      m.result_size = r.markup.size();
      deflated = deflate(r.markup);
    }
    ++store.acks;
    std::string guid = m.guid;
    store.remember(std::move(m), deflated);
    return ack(guid, requester);
  }

  Answer get_state(const xml::GisService& svc, const std::string& guid) {
    int state = 3;
    std::string content;
    const char* prefix = service_prefix(svc.name);
    std::string version = result_versions.at(svc.name);
    {
      std::lock_guard lock(store.mu);
      ++store.get_states;
      auto it = store.messages.find(guid);
      if (it == store.messages.end() || it->second.service != svc.name) {
        content = "<base:ErrorMessage>";
        element(content, "base:ErrorCode", "INT002013");
        element(content, "base:Description",
                "Запрос с идентификатором сообщения " + guid + " не найден");
        content += "</base:ErrorMessage>";
      } else {
        const Message& m = it->second;
        const auto elapsed = Clock::now() - m.accepted;
        state = elapsed < m.to_state2                              ? 1
                : (m.stuck || elapsed < m.to_state2 + m.to_state3) ? 2
                                                                   : 3;
        if (state == 3 && !m.error_code.empty()) {
          content = "<base:ErrorMessage>";
          element(content, "base:ErrorCode", m.error_code);
          element(content, "base:Description", m.error_text);
          content += "</base:ErrorMessage>";
        } else if (state == 3) {
          content = inflate(m.result.view(), m.result_size);
        }
      }
    }
    if (!prefix)
      throw FaultAnswer{"Server", "EMULATOR", "no response prefix for service " + svc.name};
    std::string body =
        std::string("<") + prefix + ":getStateResult" + namespace_declarations(svc.name) +
        (signer ? " Id=\"signed-data-container\"" : "") + " base:version=\"" + version + "\">";
    element(body, "base:RequestState", std::to_string(state));
    element(body, "base:MessageGUID", guid);
    body += content + "</" + prefix + ":getStateResult>";
    std::string out = envelope(result_header(GuidMint::random()), body);
    if (validate_responses) check_response(out);
    if (signer) out = signer->sign(out, "getStateResult");
    return {200, "text/xml; charset=utf-8", std::move(out)};
  }

  // The emulator must never answer with what GIS would not send: a response that does not
  // validate is the emulator's bug, reported loudly instead of passed on.
  void check_response(const std::string& out) {
    xml::Document doc = xml::parse_xml(out, "response");
    xmlNodePtr body = nullptr;
    for (xmlNodePtr c : kids(doc.root()))
      if (is(c, kSoapNs, "Body")) body = c;
    auto issues = pkg->validate_element(kids(body).front());
    if (issues.empty()) return;
    std::cerr << "emulator bug: response does not validate: " << describe(issues) << "\n"
              << out.substr(0, 4000) << "\n";
    throw FaultAnswer{"Server", "EMULATOR",
                      "emulator bug: its response does not validate: " + describe(issues)};
  }

  // ---- control API
  // -------------------------------------------------------------------------------

  static Answer json(int status, const Poco::JSON::Object& obj) {
    std::ostringstream ss;
    obj.stringify(ss);
    return {status, "application/json", ss.str()};
  }

  static Answer json_error(int status, const std::string& why) {
    Poco::JSON::Object o;
    o.set("error", why);
    return json(status, o);
  }

  static std::string str(const Poco::JSON::Object::Ptr& o, const char* key,
                         const std::string& def = {}) {
    return o->has(key) && !o->isNull(key) ? o->getValue<std::string>(key) : def;
  }

  Answer control(const std::string& method, const std::string& path, const std::string& body) {
    Poco::JSON::Object::Ptr in = new Poco::JSON::Object;
    if (!body.empty()) {
      try {
        in = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
      } catch (const std::exception& e) {
        return json_error(400, std::string("body is not a JSON object: ") + e.what());
      }
    }
    try {
      if (path == "/control/stats" && method == "GET") return stats();
      if (path == "/control/faults" && method == "GET") return list_faults();
      if (path == "/control/faults" && method == "POST") return add_fault(in);
      if (path == "/control/faults" && method == "DELETE") return clear_faults();
      if (path == "/control/config" && method == "POST") return config(in);
      if (path == "/control/reset" && method == "POST") {
        std::lock_guard lock(store.mu);
        store.reset();
        return json(200, Poco::JSON::Object());
      }
      if (method == "POST") {
        std::lock_guard lock(store.mu);
        if (auto r = seed(path, in)) return *r;
      }
    } catch (const Poco::Exception& e) {
      return json_error(400, e.displayText());
    } catch (const std::exception& e) {
      return json_error(400, e.what());
    }
    return json_error(404, method + " " + path + " is not part of the control API (see README.md)");
  }

  std::optional<Answer> seed(const std::string& path, const Poco::JSON::Object::Ptr& in);

  Answer stats() {
    std::lock_guard lock(store.mu);
    Poco::JSON::Object o;
    const double up = std::chrono::duration<double>(Clock::now() - started).count();
    o.set("uptime_s", up);
    o.set("requests", store.requests);
    o.set("acks", store.acks);
    o.set("get_states", store.get_states);
    o.set("soap_faults", store.soap_faults);
    o.set("duplicates", store.duplicates);
    o.set("accounts", static_cast<std::uint64_t>(store.accounts.size()));
    o.set("accounts_assigned",
          static_cast<std::uint64_t>(store.accounts_base + store.accounts.size()));
    o.set("meters", static_cast<std::uint64_t>(store.meters.size()));
    o.set("payment_documents", static_cast<std::uint64_t>(store.payment_docs.size()));
    o.set("notifications", static_cast<std::uint64_t>(store.notifications.size()));
    o.set("messages", static_cast<std::uint64_t>(store.messages.size()));
    o.set("faults", static_cast<std::uint64_t>(store.faults.size()));
    o.set("package_version", pkg->version());
    return json(200, o);
  }

  Answer list_faults() {
    std::lock_guard lock(store.mu);
    Poco::JSON::Array arr;
    for (const auto& f : store.faults) {
      Poco::JSON::Object o;
      o.set("id", f.id);
      o.set("kind", f.kind);
      o.set("operation", f.operation);
      o.set("remaining", f.remaining);
      o.set("seconds", f.seconds);
      o.set("code", f.code);
      o.set("text", f.text);
      arr.add(o);
    }
    Poco::JSON::Object o;
    o.set("faults", arr);
    o.set("object_errors", static_cast<std::uint64_t>(store.object_errors.size()));
    return json(200, o);
  }

  Answer add_fault(const Poco::JSON::Object::Ptr& in) {
    static const std::set<std::string> kinds{"soap_fault",    "http_500",   "hang",        "stuck",
                                             "error_message", "no_objects", "object_error"};
    const std::string kind = str(in, "kind");
    if (!kinds.count(kind)) {
      return json_error(
          400,
          "'kind' must be one of soap_fault, http_500, hang, stuck, error_message, no_objects, "
          "object_error; got '" +
              kind + "'");
    }
    std::lock_guard lock(store.mu);
    Poco::JSON::Object out;
    if (kind == "object_error") {
      if (!in->has("transport_guids") || !in->getArray("transport_guids")) {
        return json_error(400, "object_error needs 'transport_guids' (array of TransportGUIDs)");
      }
      auto arr = in->getArray("transport_guids");
      ObjectError e{str(in, "code", "SRV000001"),
                    str(in, "text", "Ошибка обработки объекта (эмулятор)")};
      for (std::size_t i = 0; i < arr->size(); ++i)
        store.object_errors[arr->getElement<std::string>(i)] = e;
      out.set("object_errors", static_cast<std::uint64_t>(store.object_errors.size()));
      return json(200, out);
    }
    Fault f;
    f.id = store.next_fault_id++;
    f.kind = kind;
    f.operation = str(in, "operation");
    f.remaining = in->has("count") ? in->getValue<int>("count") : -1;
    f.seconds = in->has("seconds") ? in->getValue<double>("seconds") : 0;
    f.code = str(in, "code");
    f.text = str(in, "text");
    if (f.remaining == 0)
      return json_error(400, "'count' must be positive (or absent: until deleted)");
    store.faults.push_back(f);
    out.set("id", f.id);
    return json(200, out);
  }

  Answer clear_faults() {
    std::lock_guard lock(store.mu);
    store.faults.clear();
    store.object_errors.clear();
    for (auto& [g, m] : store.messages) m.stuck = false;  // stuck messages proceed to state 3
    return json(200, Poco::JSON::Object());
  }

  Answer config(const Poco::JSON::Object::Ptr& in) {
    if (in->has("to_state2_ms")) to_state2_ms = in->getValue<long>("to_state2_ms");
    if (in->has("to_state3_ms")) to_state3_ms = in->getValue<long>("to_state3_ms");
    if (in->has("validate_responses"))
      validate_responses = in->getValue<bool>("validate_responses");
    if (in->has("signatures")) {
      const std::string s = str(in, "signatures");
      if (s == "require")
        signatures = static_cast<int>(SignatureMode::kRequire);
      else if (s == "verify")
        signatures = static_cast<int>(SignatureMode::kVerify);
      else if (s == "off")
        signatures = static_cast<int>(SignatureMode::kOff);
      else
        return json_error(400, "'signatures' must be require, verify or off");
    }
    Poco::JSON::Object o;
    o.set("to_state2_ms", to_state2_ms.load());
    o.set("to_state3_ms", to_state3_ms.load());
    o.set("validate_responses", validate_responses.load());
    static const char* names[] = {"require", "verify", "off"};
    o.set("signatures", names[signatures.load()]);
    return json(200, o);
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  Answer dispatch(Poco::Net::HTTPServerRequest& req, const std::string& body) {
    const std::string path = Poco::URI(req.getURI()).getPath();
    if (path.rfind("/control/", 0) == 0) return control(req.getMethod(), path, body);
    if (!o.basic_auth.empty()) {
      bool ok = false;
      if (req.hasCredentials()) {
        try {
          Poco::Net::HTTPBasicCredentials c(req);
          ok = c.getUsername() + ":" + c.getPassword() == o.basic_auth;
        } catch (const Poco::Exception&) {
        }
      }
      if (!ok) return {401, "text/plain; charset=utf-8", "HTTP Basic authentication required\n"};
    }
    if (!o.cert_fingerprint.empty()) {
      std::string got = req.get("X-Client-Cert-Fingerprint", "");
      std::string want = o.cert_fingerprint;
      for (auto* x : {&got, &want})
        for (auto& ch : *x) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (got != want) {
        return {403, "text/plain; charset=utf-8",
                "X-Client-Cert-Fingerprint missing or not the registered one\n"};
      }
    }
    const xml::GisService* svc = pkg->service_by_path(path);
    if (!svc) return {404, "text/plain; charset=utf-8", "no GIS ZhKH service at " + path + "\n"};
    if (req.getMethod() != "POST")
      return {405, "text/plain; charset=utf-8", "SOAP endpoints take POST\n"};
    try {
      return soap(*svc, req.get("SOAPAction", ""), body);
    } catch (const Answer& a) {
      return a;
    }
  }
};

std::optional<Answer> GisEmulator::Impl::seed(const std::string& path,
                                              const Poco::JSON::Object::Ptr& in) {
  Poco::JSON::Object out;
  if (path == "/control/houses") {
    const std::string fias = str(in, "fias_house_guid");
    if (fias.empty()) return json_error(400, "'fias_house_guid' is required");
    std::string& g = store.houses[fias];
    if (g.empty()) g = store.mint.make(kHouse, store.houses.size());
    out.set("house_guid", g);
    return json(200, out);
  }
  if (path == "/control/premises") {
    const std::string fias = str(in, "fias_house_guid");
    if (fias.empty()) return json_error(400, "'fias_house_guid' is required");
    const std::string guid = store.mint.make(kPremise, store.premises.size() + 1);
    std::string key = guid;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    store.premises[key] = fias;
    if (!store.houses.count(fias)) store.houses[fias] = "";
    out.set("premises_guid", guid);
    return json(200, out);
  }
  if (path == "/control/orgs") {
    OrgRec org;
    org.ogrn = str(in, "ogrn");
    if (org.ogrn.size() != 13 && org.ogrn.size() != 15)
      return json_error(400, "'ogrn' must have 13 or 15 digits");
    org.kpp = str(in, "kpp");
    org.inn = str(in, "inn");
    org.name = str(in, "name", "Организация " + org.ogrn);
    org.short_name = str(in, "short_name", org.name);
    const std::uint64_t seq = store.orgs.size();
    org.root_guid = store.mint.make(kOrgRoot, seq);
    org.version_guid = store.mint.make(kOrgVersion, seq);
    org.ppa_guid = str(in, "org_ppa_guid", store.mint.make(kOrgPpa, seq));
    if (in->has("roles")) {
      auto arr = in->getArray("roles");
      for (std::size_t i = 0; arr && i < arr->size(); ++i)
        org.roles.push_back(arr->getElement<std::string>(i));
    }
    out.set("org_root_entity_guid", org.root_guid);
    out.set("org_version_guid", org.version_guid);
    out.set("org_ppa_guid", org.ppa_guid);
    store.orgs.push_back(std::move(org));
    return json(200, out);
  }
  if (path == "/control/readings") {
    MeterRec* m = store.meter_by_root(str(in, "meter_root_guid"));
    if (!m)
      return json_error(
          404, "no meter with MeteringDeviceRootGUID '" + str(in, "meter_root_guid") + "'");
    ReadingRec r;
    r.kind = m->kind;
    r.date = str(in, "date", today_date());
    r.source = str(in, "source", "Гражданин");
    r.entered = now_datetime();
    r.guid = store.mint.make(kReading, store.reading_seq++);
    const std::string value = str(in, "value");
    if (value.empty()) return json_error(400, "'value' is required (e.g. \"123.456\")");
    if (m->kind == "Electric") {
      element(r.value_xml, "mdb:MeteringValueT1", value);
      if (in->has("t2")) element(r.value_xml, "mdb:MeteringValueT2", str(in, "t2"));
      if (in->has("t3")) element(r.value_xml, "mdb:MeteringValueT3", str(in, "t3"));
    } else {
      r.value_xml = "<mdb:MunicipalResource>";
      element(r.value_xml, "nb:Code", m->resource_code);
      element(r.value_xml, "nb:GUID", m->resource_guid);
      r.value_xml += "</mdb:MunicipalResource>";
      element(r.value_xml, "mdb:MeteringValue", value);
    }
    m->readings.push_back(std::move(r));
    out.set("reading_guid", m->readings.back().guid);
    return json(200, out);
  }
  if (path == "/control/nsi") {
    const int registry = in->has("registry") ? in->getValue<int>("registry") : 0;
    const int count = in->has("count") ? in->getValue<int>("count") : -1;
    if (registry <= 0 || count < 0)
      return json_error(400, "'registry' (> 0) and 'count' (>= 0) are required");
    store.nsi_sizes[registry] = static_cast<std::size_t>(count);
    out.set("registry", registry);
    return json(200, out);
  }
  if (path == "/control/appeals") {
    AppealRec a;
    a.guid = store.mint.make(kAppeal, store.appeals.size());
    a.number = str(in, "number", "A-" + std::to_string(store.appeals.size() + 1));
    a.text = str(in, "text");
    if (a.text.empty()) return json_error(400, "'text' is required");
    a.created = now_datetime();
    a.fias_house = str(in, "fias_house_guid");
    a.author = str(in, "author", "Иванов Иван Иванович");
    a.status = str(in, "status", "Send");
    out.set("appeal_guid", a.guid);
    store.appeals.push_back(std::move(a));
    return json(200, out);
  }
  return std::nullopt;
}

namespace {

class RequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(GisEmulator::Impl& impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Answer a;
    try {
      std::string body;
      const auto max = impl_.o.max_request_bytes;
      char buf[65536];
      auto& in = req.stream();
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        body.append(buf, static_cast<std::size_t>(in.gcount()));
        if (body.size() > max) break;
      }
      if (body.size() > max) {
        a = {413, "text/plain; charset=utf-8",
             "request larger than " + std::to_string(max) + " bytes\n"};
        resp.setKeepAlive(false);
      } else {
        a = impl_.dispatch(req, body);
      }
    } catch (const std::exception& e) {
      a = {500, "text/plain; charset=utf-8", std::string("emulator error: ") + e.what() + "\n"};
    }
    if (impl_.o.log_requests)
      std::cerr << req.getMethod() << " " << req.getURI() << " -> " << a.status << "\n";
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
    if (a.status == 401) resp.set("WWW-Authenticate", "Basic realm=\"gis-zhkh-emulator\"");
    resp.setContentType(a.content_type);
    resp.setContentLength(static_cast<std::streamsize>(a.body.size()));
    resp.send().write(a.body.data(), static_cast<std::streamsize>(a.body.size()));
  }

 private:
  GisEmulator::Impl& impl_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(GisEmulator::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(impl_);
  }

 private:
  GisEmulator::Impl& impl_;
};

}  // namespace

GisEmulator::GisEmulator(EmulatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

GisEmulator::~GisEmulator() {
  stop();
}

void GisEmulator::start() {
  Poco::Net::ServerSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(impl_->o.port)));
  impl_->bound_port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  const int threads = std::max(2, impl_->o.threads);
  params->setMaxThreads(threads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setMaxKeepAliveRequests(0);
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, threads + 1);
  impl_->server =
      std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), *impl_->pool, socket, params);
  impl_->server->start();
}

void GisEmulator::stop() {
  if (impl_ && impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
    impl_->pool->joinAll();
  }
}

int GisEmulator::port() const {
  return impl_->bound_port;
}

}  // namespace hub::adapters::gis_zhkh::emulator
