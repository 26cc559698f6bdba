#include "appeals.h"

#include "../util.h"
#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kAppealsNs = "http://dom.gosuslugi.ru/schema/integration/appeals/";

// c:Name: one line of at most 255 characters.
std::string name_of(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > 255) {
    s.resize(255);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
  }
  return s;
}

}  // namespace

BuiltRequest build_export_appeals(const std::string& from, const std::string& to) {
  BuiltRequest req{
      "exportAppeal", "appeals", "exportAppealRequest", kAppealsNs, "14.8.0.1", {}, {}};
  req.body = std::string("<ap:exportAppealRequest xmlns:ap=\"") + kAppealsNs + "\" xmlns:base=\"" +
             kBaseNs + "\" Id=\"signed-data-container\" base:version=\"14.8.0.1\">";
  if (!from.empty()) req.body += "<ap:StartDate>" + from + "</ap:StartDate>";
  if (!to.empty()) req.body += "<ap:EndDate>" + to + "</ap:EndDate>";
  req.body += "</ap:exportAppealRequest>";
  return req;
}

Handled handle_export_appeals(const ResultInput& in) {
  Handled h;
  for (xmlNodePtr a : children(in.result, "ExportAppealResult")) {
    const auto guid = child_text(a, "AppealGUID");
    const auto text_value = child_text(a, "AppealText");
    if (guid.empty() || text_value.empty()) continue;
    std::string topic = child_text(child(a, "AppealTopic"), "Name");
    if (topic.empty()) topic = child_text(a, "AnotherTopic");
    if (topic.empty()) topic = "Обращение в ГИС ЖКХ";
    std::string body = "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\">";
    element(body, "c:channel", "gis");
    element(body, "c:topic", name_of(topic));
    element(body, "c:text", text_value);
    const auto number = child_text(a, "AppealNumber");
    element(body, "c:externalId", name_of(number.empty() ? guid : number));
    const auto house = child_text(a, "FIASHouseGuid");
    if (!house.empty()) element(body, "c:houseFiasGuid", house);
    const auto created = child_text(a, "AppealCreateDate");
    if (created.size() >= 10) {
      element(body, "c:submittedAt", created.size() == 10 ? created + "T00:00:00Z" : created);
    }
    if (xmlNodePtr person = child(child(a, "ApplicantInfo"), "Person")) {
      std::string who = child_text(person, "Surname") + " " + child_text(person, "FirstName");
      const auto middle = child_text(person, "Patronymic");
      if (!middle.empty()) who += " " + middle;
      body += "<c:applicant>";
      element(body, "c:name", name_of(who));
      body += "</c:applicant>";
    }
    body += "</c:ticketCreated>";
    h.messages.push_back(make_message(
        "ticket.created", "gis_zhkh:" + in.instance + ":appeal:" + lower(guid), body, in.ack_guid));
  }
  h.summary = std::to_string(h.messages.size()) + " appeals";
  return h;
}

}  // namespace hub::adapters::gis_zhkh
