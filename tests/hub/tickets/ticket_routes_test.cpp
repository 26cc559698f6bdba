#include "hub/tickets/ticket_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "ticket_api_fixture.h"

namespace hub::tickets {
namespace {

using api::testsupport::http;
using api::testsupport::HttpResult;
using Poco::JSON::Array;
using Poco::JSON::Object;
using testsupport::TicketApiFixture;

Object::Ptr json(const HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
}

std::string s(const Object::Ptr& o, const std::string& key) {
  return o->has(key) && !o->get(key).isEmpty() ? o->get(key).convert<std::string>() : "";
}

class TicketApi : public ::testing::Test {
 protected:
  HttpResult get(const std::string& path, const std::string& token = "") {
    return http(f.port(), "GET", path, token.empty() ? f.admin.viewer : token);
  }
  HttpResult post(const std::string& path, const std::string& body, const std::string& token = "") {
    return http(f.port(), "POST", path, token.empty() ? f.admin.operator_ : token, body);
  }
  long long create(const std::string& body) {
    const auto r = post("/api/v1/tickets", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return json(r)->getValue<long long>("id");
  }

  TicketApiFixture f;
};

TEST_F(TicketApi, OperatorCreatesFromTheCallCentreIdempotently) {
  const std::string body =
      R"({"channel": "phone", "topic": "Протечка стояка ГВС", "text": "Течёт стояк, кв. 12А",
          "account": "100234", "house": "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69",
          "premise": "12А", "external_id": "CALL-77",
          "applicant": {"name": "Иванова М. П.", "phone": "+79171234567"},
          "attachments": [{"uri": "store://calls/77.ogg", "name": "запись звонка",
                           "media_type": "audio/ogg"}]})";
  auto r = post("/api/v1/tickets", body);
  ASSERT_EQ(r.status, 201) << r.body;
  auto t = json(r);
  EXPECT_EQ(s(t, "status"), "new");
  EXPECT_EQ(s(t, "status_label"), "Новая");
  EXPECT_EQ(s(t, "resident_status_label"), "Принята");
  EXPECT_EQ(s(t, "topic"), "emergency");
  EXPECT_EQ(s(t, "topic_label"), "Аварийная");
  EXPECT_EQ(s(t, "assignee"), "АДС");
  EXPECT_EQ(s(t, "premise"), "12А");
  EXPECT_EQ(s(t, "created_by"), "ops-operator");
  EXPECT_FALSE(s(t, "due_at").empty());
  EXPECT_EQ(t->getObject("applicant")->getValue<std::string>("phone"), "+79171234567");
  EXPECT_EQ(t->getArray("attachments")->size(), 1u);
  EXPECT_EQ(t->getArray("allowed_transitions")->size(), 4u);
  const auto id = t->getValue<long long>("id");

  // The same call registered twice: the existing ticket, 200 instead of 201.
  r = post("/api/v1/tickets", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)->getValue<long long>("id"), id);
  EXPECT_EQ(f.admin.db.scalar("SELECT count(*) FROM tickets.ticket"), "1");
  // Audited with the ticket as the object.
  EXPECT_EQ(f.admin.db.scalar("SELECT count(*) FROM hub.audit WHERE action = 'api.ticket.create' "
                              "AND actor = 'ops-operator' AND object = 'ticket:" +
                              std::to_string(id) + "'"),
            "2");
  // Channels are the canonical ones (else the ticket's updates could not be published).
  r = post("/api/v1/tickets", R"({"channel": "website", "text": "x"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("unknown channel 'website'"), std::string::npos) << r.body;
  EXPECT_EQ(post("/api/v1/tickets", R"({"topic": "x"})").status, 400);  // no text
  // The operator console default channel.
  const auto other = create(R"({"topic": "Квитанция", "text": "Не пришла квитанция"})");
  EXPECT_EQ(s(json(get("/api/v1/tickets/" + std::to_string(other))), "channel"), "operator");
}

TEST_F(TicketApi, RolesAndAuthentication) {
  const auto id = create(R"({"topic": "Лифт", "text": "Лифт стоит"})");
  const auto path = "/api/v1/tickets/" + std::to_string(id);
  EXPECT_EQ(get(path, f.admin.viewer).status, 200);
  EXPECT_EQ(http(f.port(), "GET", path).status, 401);
  auto r = post("/api/v1/tickets", R"({"text": "x"})", f.admin.viewer);
  EXPECT_EQ(r.status, 403) << r.body;
  r = post(path + "/transition", R"({"to": "in_progress"})", f.admin.viewer);
  EXPECT_EQ(r.status, 403);
  r = post(path + "/comments", R"({"text": "x"})", f.admin.viewer);
  EXPECT_EQ(r.status, 403);
  r = post(path + "/assign", R"({"assignee": "x"})", f.admin.viewer);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(post(path + "/transition", R"({"to": "in_progress"})", f.admin.admin).status, 200);
  EXPECT_EQ(json(get(path))->getValue<std::string>("status"), "in_progress");
  EXPECT_EQ(get("/api/v1/ticket-model").status, 200);
}

TEST_F(TicketApi, TransitionsAllowedAndRefusedWith409) {
  const auto id = create(R"({"topic": "Авария", "text": "Прорыв трубы в подвале"})");
  const auto path = "/api/v1/tickets/" + std::to_string(id);
  auto r = post(path + "/transition", R"({"to": "done"})");
  ASSERT_EQ(r.status, 409) << r.body;
  auto err = json(r);
  EXPECT_NE(s(err, "error").find("cannot move from 'new' to 'done'"), std::string::npos) << r.body;
  auto detail = err->getObject("detail");
  EXPECT_EQ(s(detail, "from"), "new");
  EXPECT_EQ(s(detail, "to"), "done");
  auto allowed = detail->getArray("allowed");
  ASSERT_EQ(allowed->size(), 4u);
  EXPECT_EQ(allowed->getElement<std::string>(0), "in_progress");
  EXPECT_EQ(allowed->getElement<std::string>(3), "cancelled");

  r = post(path + "/transition", R"({"to": "in_progress", "comment": "бригада выехала"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto t = json(r);
  EXPECT_EQ(s(t, "status"), "in_progress");
  EXPECT_EQ(s(t, "status_label"), "В работе");
  const auto events = t->getArray("events");
  const auto last = events->getObject(static_cast<unsigned>(events->size() - 1));
  EXPECT_EQ(s(last, "kind"), "status_changed");
  EXPECT_EQ(s(last, "from_label"), "Новая");
  EXPECT_EQ(s(last, "text"), "бригада выехала");
  EXPECT_EQ(s(last, "actor"), "ops-operator");

  // Same status again, unknown status, terminal status: all 409, ticket unchanged.
  EXPECT_EQ(post(path + "/transition", R"({"to": "in_progress"})").status, 409);
  EXPECT_EQ(post(path + "/transition", R"({"to": "archived"})").status, 409);
  ASSERT_EQ(post(path + "/transition", R"({"to": "cancelled"})").status, 200);
  r = post(path + "/transition", R"({"to": "in_progress"})");
  ASSERT_EQ(r.status, 409);
  EXPECT_EQ(json(r)->getObject("detail")->getArray("allowed")->size(), 0u);
  EXPECT_EQ(f.admin.db.scalar("SELECT count(*) FROM hub.audit WHERE action = "
                              "'api.ticket.transition' AND details->>'status' = '409'"),
            "4");

  // Bad requests.
  EXPECT_EQ(post(path + "/transition", R"({"comment": "no target"})").status, 400);
  EXPECT_EQ(post(path + "/transition", "not json").status, 400);
  EXPECT_EQ(post(path + "/transition", R"({"to": 5})").status, 400);
  EXPECT_EQ(post("/api/v1/tickets/999999/transition", R"({"to": "done"})").status, 404);
  EXPECT_EQ(post("/api/v1/tickets/abc/transition", R"({"to": "done"})").status, 404);
}

TEST_F(TicketApi, ResidentViewUsesResidentLabelsAndHidesInternalComments) {
  const auto id = create(R"({"topic": "Уборка", "text": "Не убран снег у подъезда 2"})");
  const auto path = "/api/v1/tickets/" + std::to_string(id);
  ASSERT_EQ(post(path + "/transition", R"({"to": "in_progress"})").status, 200);
  ASSERT_EQ(post(path + "/transition", R"({"to": "postponed"})").status, 200);
  auto r =
      post(path + "/comments", R"({"text": "Трактор на ремонте до четверга", "internal": true})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = post(path + "/comments", R"({"text": "Уберём до конца недели"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(post(path + "/comments", R"({"text": ""})").status, 400);
  EXPECT_EQ(post(path + "/comments", R"({"text": "x", "internal": "yes"})").status, 400);

  auto staff = json(get(path));
  EXPECT_EQ(s(staff, "status_label"), "Отложена (доступ, материалы, подрядчик)");
  auto resident = json(get(path + "?view=resident"));
  EXPECT_EQ(s(resident, "status_label"), "В работе");
  EXPECT_FALSE(resident->has("resident_status_label"));
  auto texts = [](const Object::Ptr& t) {
    std::vector<std::string> out;
    auto ev = t->getArray("events");
    for (unsigned i = 0; i < ev->size(); ++i) {
      auto e = ev->getObject(i);
      if (s(e, "kind") == "comment") out.push_back(s(e, "text"));
    }
    return out;
  };
  EXPECT_EQ(texts(staff),
            (std::vector<std::string>{"Трактор на ремонте до четверга", "Уберём до конца недели"}));
  EXPECT_EQ(texts(resident), (std::vector<std::string>{"Уберём до конца недели"}));
  EXPECT_EQ(get(path + "?view=owner").status, 400);
}

TEST_F(TicketApi, AssignAndListFilters) {
  const auto a =
      create(R"({"channel": "gis", "topic": "Авария", "text": "Нет воды", "house": "h1"})");
  const auto b = create(R"({"channel": "email", "topic": "Лифт", "text": "Лифт", "house": "h2",
                            "account": "555"})");
  const auto c =
      create(R"({"channel": "mobile", "topic": "Квитанция", "text": "Перерасчёт", "house": "h1"})");
  auto r =
      post("/api/v1/tickets/" + std::to_string(b) + "/assign", R"({"assignee": "Лифтёр Сидоров"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(s(json(r), "assignee"), "Лифтёр Сидоров");
  EXPECT_EQ(post("/api/v1/tickets/" + std::to_string(b) + "/assign", R"({})").status, 400);
  ASSERT_EQ(post("/api/v1/tickets/" + std::to_string(c) + "/transition", R"({"to": "in_progress"})")
                .status,
            200);
  // The emergency is made late directly in the database (its SLA is 1 h).
  f.admin.db.exec("UPDATE tickets.ticket SET due_at = now() - interval '5 minutes' WHERE id = " +
                  std::to_string(a));

  auto ids = [&](const std::string& query) {
    const auto res = get("/api/v1/tickets" + query);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<long long> out;
    auto items = json(res)->getArray("items");
    for (unsigned i = 0; i < items->size(); ++i) {
      out.push_back(items->getObject(i)->getValue<long long>("id"));
    }
    return out;
  };
  EXPECT_EQ(ids(""), (std::vector<long long>{c, b, a}));
  EXPECT_EQ(ids("?house=h1"), (std::vector<long long>{c, a}));
  EXPECT_EQ(ids("?status=in_progress"), (std::vector<long long>{c}));
  EXPECT_EQ(ids("?topic=elevator"), (std::vector<long long>{b}));
  EXPECT_EQ(ids("?account=555"), (std::vector<long long>{b}));
  EXPECT_EQ(ids("?assignee=" + std::string("%D0%90%D0%94%D0%A1")), (std::vector<long long>{a}));
  EXPECT_EQ(ids("?channel=gis"), (std::vector<long long>{a}));
  EXPECT_EQ(ids("?overdue=1"), (std::vector<long long>{a}));
  EXPECT_EQ(ids("?overdue=0"), (std::vector<long long>{c, b, a}));
  EXPECT_EQ(ids("?limit=1&offset=1"), (std::vector<long long>{b}));
  auto page = json(get("/api/v1/tickets?limit=1"));
  EXPECT_EQ(page->getValue<long long>("total"), 3);
  auto first = page->getArray("items")->getObject(0);
  EXPECT_FALSE(first->has("events"));  // the list is light; show has the history
  EXPECT_EQ(get("/api/v1/tickets?overdue=2").status, 400);
  EXPECT_EQ(get("/api/v1/tickets?limit=0").status, 400);
  EXPECT_EQ(get("/api/v1/tickets/424242").status, 404);
}

TEST_F(TicketApi, ModelIsPublished) {
  const auto m = json(get("/api/v1/ticket-model"));
  EXPECT_EQ(s(m, "initial"), "new");
  const auto statuses = m->getArray("statuses");
  ASSERT_GE(statuses->size(), 6u);
  const auto first = statuses->getObject(0);
  EXPECT_EQ(s(first, "resident"), "Принята");
  EXPECT_EQ(first->getArray("next")->size(), 4u);
  bool emergency = false;
  const auto topics = m->getArray("topics");
  for (unsigned i = 0; i < topics->size(); ++i) {
    const auto t = topics->getObject(i);
    if (s(t, "topic") == "emergency") {
      emergency = true;
      EXPECT_EQ(s(t, "sla"), "1h");
    }
  }
  EXPECT_TRUE(emergency);
}

}  // namespace
}  // namespace hub::tickets
