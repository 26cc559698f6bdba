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

SoapClient::SoapClient(plugin::HttpClientFactory& http, SoapSettings settings)
    : settings_(std::move(settings)),
      sessions_(http, settings_.endpoint + "/", settings_.http, settings_.keep_alive_sessions,
                settings_.keep_alive_idle) {}

SoapReply SoapClient::call(const std::string& path, const std::string& action,
                           const std::string& envelope, std::chrono::milliseconds timeout) {
  SoapReply reply;
  const auto started = std::chrono::steady_clock::now();
  auto transport_error = [&](std::string what) {
    reply.kind = SoapReply::Kind::kTransport;
    reply.error = std::move(what);
    reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
  };
  for (int attempt = 0;; ++attempt) {
    SessionPool::Lease lease;
    bool answered = false;  // a status line came back: the peer has the request
    try {
      lease = sessions_.take(timeout);
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.setContentType("text/xml; charset=utf-8");
      req.set("SOAPAction", "\"" + action + "\"");
      req.setContentLength(static_cast<std::streamsize>(envelope.size()));
      req.setKeepAlive(lease.session->getKeepAlive());
      if (!settings_.host_header.empty()) req.setHost(settings_.host_header);
      if (!settings_.basic_user.empty()) {
        req.set("Authorization",
                "Basic " + base64(settings_.basic_user + ":" + settings_.basic_password));
      }
      if (!settings_.cert_fingerprint.empty()) {
        req.set("X-Client-Cert-Fingerprint", settings_.cert_fingerprint);
      }
      lease.session->sendRequest(req) << envelope;
      Poco::Net::HTTPResponse resp;
      std::istream& in = lease.session->receiveResponse(resp);
      answered = true;
      Poco::StreamCopier::copyToString(in, reply.body);
      reply.http_status = static_cast<int>(resp.getStatus());
      if (!in.bad() && resp.getKeepAlive()) sessions_.give_back(std::move(lease.session));
      break;
    } catch (const Poco::TimeoutException& e) {
      transport_error(e.displayText());  // the peer may still be working on it
      return reply;
    } catch (const Poco::Exception& e) {
      // A kept connection the peer had already closed (its idle timeout, a restart) fails at once
      // without an answer; the request is sent again on a new one, as the other kept ones are
      // likely closed too. Were the request to have reached a peer that then failed before
      // answering, this resend is the one the engine would make anyway (the same MessageGUID,
      // which GIS takes once).
      if (lease.reused && !answered && attempt == 0) {
        sessions_.drop_idle();
        continue;
      }
      transport_error(e.displayText());
      return reply;
    } catch (const std::exception& e) {
      transport_error(e.what());
      return reply;
    }
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
