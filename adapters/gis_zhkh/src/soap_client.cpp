#include "soap_client.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <set>
#include <sstream>

namespace hub::adapters::gis_zhkh {

namespace {

std::string base64(const std::string& s) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << s;
  enc.close();
  return out.str();
}

// The code of a SOAP fault: detail/Fault/ErrorCode when present, else the "CODE:" prefix of the
// faultstring GIS writes ("EXP001000: Произошла ошибка ...").
void read_fault(xmlNodePtr fault, SoapReply& r) {
  r.fault_text = child_text(fault, "faultstring");
  if (xmlNodePtr detail = child(fault, "detail")) {
    for (xmlNodePtr f : elements(detail)) {
      const auto code = child_text(f, "ErrorCode");
      if (!code.empty()) {
        r.fault_code = code;
        const auto msg = child_text(f, "ErrorMessage");
        if (!msg.empty()) r.fault_text = msg;
        return;
      }
    }
  }
  const auto colon = r.fault_text.find(':');
  if (colon != std::string::npos && colon >= 6 && colon <= 12) {
    r.fault_code = r.fault_text.substr(0, colon);
  } else {
    r.fault_code = child_text(fault, "faultcode");
  }
}

}  // namespace

bool is_transient_code(const std::string& code) {
  static const std::set<std::string> transient = {"EXP001000", "EXP002001", "EXP002002",
                                                  "EXP002003", "INT002018"};
  return transient.count(code) > 0;
}

SoapReply SoapClient::call(const std::string& path, const std::string& action,
                           const std::string& envelope, std::chrono::milliseconds timeout) {
  SoapReply reply;
  const auto started = std::chrono::steady_clock::now();
  auto options = settings_.http;
  options.timeout = timeout;
  try {
    auto session = http_.open(settings_.endpoint + path, options);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("text/xml; charset=utf-8");
    req.set("SOAPAction", "\"" + action + "\"");
    req.setContentLength(static_cast<std::streamsize>(envelope.size()));
    if (!settings_.host_header.empty()) req.setHost(settings_.host_header);
    if (!settings_.basic_user.empty()) {
      req.set("Authorization",
              "Basic " + base64(settings_.basic_user + ":" + settings_.basic_password));
    }
    if (!settings_.cert_fingerprint.empty()) {
      req.set("X-Client-Cert-Fingerprint", settings_.cert_fingerprint);
    }
    session->sendRequest(req) << envelope;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, reply.body);
    reply.http_status = static_cast<int>(resp.getStatus());
  } catch (const Poco::Exception& e) {
    reply.kind = SoapReply::Kind::kTransport;
    reply.error = e.displayText();
    reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return reply;
  } catch (const std::exception& e) {
    reply.kind = SoapReply::Kind::kTransport;
    reply.error = e.what();
    reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return reply;
  }
  reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  try {
    reply.doc = parse_xml(reply.body, "response");
  } catch (const std::exception& e) {
    reply.kind = SoapReply::Kind::kTransport;
    reply.error = "HTTP " + std::to_string(reply.http_status) + ", not XML: " + e.what();
    return reply;
  }
  xmlNodePtr env = xmlDocGetRootElement(reply.doc.get());
  xmlNodePtr body = child(env, "Body");
  xmlNodePtr first = nullptr;
  for (xmlNodePtr n : elements(body)) {
    first = n;
    break;
  }
  if (first && local_name(first) == "Fault") {
    reply.kind = SoapReply::Kind::kFault;
    read_fault(first, reply);
    return reply;
  }
  if (reply.http_status != 200 || !first) {
    reply.kind = SoapReply::Kind::kTransport;
    reply.error =
        "HTTP " + std::to_string(reply.http_status) + (first ? "" : " without a SOAP body");
    return reply;
  }
  reply.kind = SoapReply::Kind::kOk;
  reply.payload = first;
  return reply;
}

}  // namespace hub::adapters::gis_zhkh
