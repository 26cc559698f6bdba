#pragma once
// A loopback stand-in for GIS ZhKH house-management (importAccountData, exportAccountData,
// getState) used by the end-to-end tests until adapters/gis_zhkh/emulator (gis_zhkh_emulator)
// offers the same: every request is validated against the official 16.3.0.0 package and counted
// when it is not valid, a resent MessageGUID gets its first Ack again (MosGIS behaviour), GUIDs are
// assigned per account number (stable), getState answers 2 for `processing_polls` polls and then
// 3, and faults are injected on demand. Every answer it gives validates against the same package.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "hub/plugin_host/xml_services.h"
#include "operations/operation.h"
#include "util.h"
#include "xml_util.h"

namespace gis_test {

namespace g = hub::adapters::gis_zhkh;

class LoopbackGis {
 public:
  struct Message {
    std::string operation;
    std::vector<std::pair<std::string, std::string>> accounts;  ///< transport, number
    std::vector<std::string> export_guids;
    int polls = 0;
    std::string error_code;  ///< whole-message error to answer with
  };

  LoopbackGis() {
    package_ = hub::plugin_host::PackageXmlServices::shared().load_schema_package(
        std::string(HUB_SHARED_DIR) + "/schemas/gis_zhkh/16.3.0.0");
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
    server_->start();
  }
  ~LoopbackGis() { server_->stopAll(true); }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Fault injection.
  std::atomic<int> fail_sends{0};     ///< next N sends: SOAP fault EXP001000 (HTTP 500)
  std::atomic<int> reject_sends{0};   ///< next N sends: SOAP fault FMT001300
  std::atomic<int> error_results{0};  ///< next N results: ErrorMessage `result_error`
  std::string result_error = "EXP001000";
  std::atomic<int> processing_polls{1};  ///< getState answers 2 this often before 3
  std::atomic<int> account_errors{0};    ///< next N accounts: per-object error INT002000

  std::atomic<int> invalid_requests{0};
  std::atomic<int> sends{0};       ///< import/export calls (resends of a known MessageGUID too)
  std::atomic<int> duplicates{0};  ///< of them, a MessageGUID seen before
  std::atomic<int> get_states{0};

  /// Account number → AccountGUID for every account placed (each placed once).
  std::map<std::string, std::string> placed() {
    std::lock_guard l(mu_);
    return guid_by_number_;
  }
  /// How many times an account number was imported under a new MessageGUID.
  std::map<std::string, int> imports() {
    std::lock_guard l(mu_);
    return imports_;
  }
  std::string els_of(const std::string& guid) {
    std::lock_guard l(mu_);
    return els_[guid];
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(LoopbackGis* gis) : gis_(gis) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      int status = 200;
      const auto answer = gis_->handle(req.get("SOAPAction", ""), body, status);
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      resp.setContentType("text/xml; charset=utf-8");
      resp.setContentLength(static_cast<std::streamsize>(answer.size()));
      resp.send() << answer;
    }

   private:
    LoopbackGis* gis_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(LoopbackGis* gis) : gis_(gis) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(gis_);
    }

   private:
    LoopbackGis* gis_;
  };

  static std::string envelope(const std::string& body) {
    return "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:base=\"" +
           std::string(g::kBaseNs) + "\" xmlns:hm=\"" + g::kHouseNs + "\" xmlns:ab=\"" +
           g::kAccountBaseNs + "\"><soap:Header><base:ResultHeader><base:Date>" +
           g::format_time(std::chrono::system_clock::now()) + "</base:Date><base:MessageGUID>" +
           g::new_guid() + "</base:MessageGUID></base:ResultHeader></soap:Header><soap:Body>" +
           body + "</soap:Body></soap:Envelope>";
  }
  static std::string fault(const std::string& code, const std::string& text) {
    return "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
           "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>" +
           code + ": " + text + "</faultstring><detail><ns4:Fault xmlns:ns4=\"" +
           std::string(g::kBaseNs) + "\"><ns4:ErrorCode>" + code +
           "</ns4:ErrorCode><ns4:ErrorMessage>" + text +
           "</ns4:ErrorMessage></ns4:Fault></detail></soap:Fault></soap:Body></soap:Envelope>";
  }
  std::string checked(std::string answer) {
    const auto issues = package_->validate_soap(answer);
    if (!issues.empty()) answer_issues_ = hub::plugin::summarize(issues);
    return answer;
  }

 public:
  std::string answer_issues_;  ///< set when an answer of ours did not validate (a test bug)

 private:
  std::string handle(const std::string& action, const std::string& body, int& status) {
    if (!package_->validate_soap(body).empty()) {
      ++invalid_requests;
      status = 500;
      return fault("FMT001300", "Некорректный XML");
    }
    auto doc = g::parse_xml(body, "request");
    xmlNodePtr env = xmlDocGetRootElement(doc.get());
    xmlNodePtr header = g::elements(g::child(env, "Header")).front();
    xmlNodePtr payload = g::elements(g::child(env, "Body")).front();
    const auto message_guid = g::child_text(header, "MessageGUID");
    std::lock_guard l(mu_);
    if (action == "\"urn:getState\"" || g::local_name(payload) == "getStateRequest") {
      ++get_states;
      const auto ack = g::child_text(payload, "MessageGUID");
      auto it = messages_.find(ack);
      if (it == messages_.end()) {
        status = 500;
        return fault("INT002013", "Запрос не найден");
      }
      auto& m = it->second;
      if (m.polls++ < processing_polls) {
        return checked(
            envelope("<hm:getStateResult base:version=\"11.0.0.1\"><base:RequestState>2"
                     "</base:RequestState><base:MessageGUID>" +
                     ack + "</base:MessageGUID></hm:getStateResult>"));
      }
      std::string out =
          "<hm:getStateResult base:version=\"11.0.0.1\"><base:RequestState>3"
          "</base:RequestState><base:MessageGUID>" +
          ack + "</base:MessageGUID>";
      if (!m.error_code.empty()) {
        out += "<base:ErrorMessage><base:ErrorCode>" + m.error_code +
               "</base:ErrorCode><base:Description>ошибка " + m.error_code +
               "</base:Description></base:ErrorMessage>";
      } else if (m.operation == "importAccountData") {
        out += "<hm:ImportResult base:version=\"10.0.1.1\">";
        for (const auto& [transport, number] : m.accounts) {
          out += "<hm:CommonResult>";
          if (account_errors > 0) {
            --account_errors;
            out += "<base:TransportGUID>" + transport +
                   "</base:TransportGUID><base:Error>"
                   "<base:ErrorCode>INT002000</base:ErrorCode><base:Description>Дом не найден"
                   "</base:Description></base:Error>";
          } else {
            auto& guid = guid_by_number_[number];
            if (guid.empty()) {
              guid = g::new_guid();
              els_[guid] = "12АБ" + std::to_string(100000 + els_.size());
            }
            out += "<base:GUID>" + guid + "</base:GUID><base:TransportGUID>" + transport +
                   "</base:TransportGUID><base:UniqueNumber>" + els_[guid] +
                   "</base:UniqueNumber><base:UpdateDate>" +
                   g::format_time(std::chrono::system_clock::now()) + "</base:UpdateDate>";
          }
          out += "</hm:CommonResult>";
        }
        out += "</hm:ImportResult>";
      } else {
        std::size_t found = 0;
        for (const auto& guid : m.export_guids) {
          if (!els_.count(guid)) continue;
          ++found;
          out +=
              "<hm:exportAccountResult><hm:isUOAccount>true</hm:isUOAccount><hm:PayerInfo/>"
              "<hm:AccountGUID>" +
              guid + "</hm:AccountGUID><ab:UnifiedAccountNumber>" + els_[guid] +
              "</ab:UnifiedAccountNumber><ab:ServiceID>" + els_[guid] +
              "-01</ab:ServiceID></hm:exportAccountResult>";
        }
        if (!found) {
          out +=
              "<base:ErrorMessage><base:ErrorCode>INT002012</base:ErrorCode><base:Description>"
              "Нет объектов для экспорта</base:Description></base:ErrorMessage>";
        }
      }
      out += "</hm:getStateResult>";
      return checked(envelope(out));
    }
    ++sends;
    if (auto it = ack_by_request_.find(message_guid); it != ack_by_request_.end()) {
      ++duplicates;
      return ack(it->second, message_guid);
    }
    if (fail_sends > 0) {
      --fail_sends;
      status = 500;
      return fault("EXP001000", "Произошла ошибка при передаче данных. Попробуйте повторно");
    }
    if (reject_sends > 0) {
      --reject_sends;
      status = 500;
      return fault("FMT001300", "Некорректный XML");
    }
    Message m;
    m.operation = g::local_name(payload) == "importAccountRequest" ? "importAccountData"
                                                                   : "exportAccountData";
    for (xmlNodePtr a : g::children(payload, "Account")) {
      const auto number = g::child_text(a, "AccountNumber");
      m.accounts.emplace_back(g::child_text(a, "TransportGUID"), number);
      ++imports_[number];
    }
    for (xmlNodePtr guid : g::children(payload, "AccountGUID"))
      m.export_guids.push_back(g::text(guid));
    if (error_results > 0) {
      --error_results;
      m.error_code = result_error;
    }
    const auto id = g::new_guid();
    messages_[id] = m;
    ack_by_request_[message_guid] = id;
    return ack(id, message_guid);
  }

  std::string ack(const std::string& id, const std::string& requester) {
    return checked(envelope("<base:AckRequest><base:Ack><base:MessageGUID>" + id +
                            "</base:MessageGUID><base:RequesterMessageGUID>" + requester +
                            "</base:RequesterMessageGUID></base:Ack></base:AckRequest>"));
  }

  hub::plugin::SchemaPackagePtr package_;
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::map<std::string, Message> messages_;            // by our ack id
  std::map<std::string, std::string> ack_by_request_;  // client MessageGUID → ack id
  std::map<std::string, std::string> guid_by_number_;
  std::map<std::string, std::string> els_;  // AccountGUID → ELS
  std::map<std::string, int> imports_;
};

}  // namespace gis_test
