// `zhkh-hub tickets ...` against a real AdminServer with the ticket routes.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

#include "hub/cli/cli.h"
#include "ticket_api_fixture.h"

namespace hub::tickets {
namespace {

using testsupport::TicketApiFixture;

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

class TicketCli : public ::testing::Test {
 protected:
  CliResult run(std::vector<std::string> args, const std::string& token) {
    args.push_back("--url=" + f.admin.server->base_url());
    args.push_back("--token");
    args.push_back(token);
    std::ostringstream out, err;
    const int code = cli::run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }

  long long create(const std::string& topic, const std::string& external_id) {
    NewTicket t;
    t.channel = "gis";
    t.topic = topic;
    t.text = "Обращение из ГИС ЖКХ: " + topic;
    t.house = "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69";
    t.external_id = external_id;
    t.actor = "gis";
    return f.store->create(t).id;
  }

  TicketApiFixture f;
};

TEST_F(TicketCli, ListFiltersAndJson) {
  const auto a = create("Авария", "GIS-1");
  const auto b = create("Не пришла квитанция", "GIS-2");
  f.admin.db.exec("UPDATE tickets.ticket SET due_at = now() - interval '1 minute' WHERE id = " +
                  std::to_string(a));
  auto r = run({"tickets", "list"}, f.admin.viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header.rfind("ID", 0), 0u) << r.out;
  EXPECT_EQ(first.rfind(std::to_string(b), 0), 0u) << r.out;  // newest first
  EXPECT_NE(first.find("Начисления и квитанции"), std::string::npos) << r.out;
  EXPECT_NE(second.find("OVERDUE"), std::string::npos) << r.out;
  EXPECT_NE(second.find("АДС"), std::string::npos) << r.out;

  r = run({"tickets", "list", "--overdue"}, f.admin.viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Аварийная"), std::string::npos);
  EXPECT_EQ(r.out.find("Начисления"), std::string::npos) << r.out;

  r = run({"tickets", "list", "--topic", "billing", "--status=new", "--json"}, f.admin.viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  auto v = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  ASSERT_EQ(v->getArray("items")->size(), 1u);
  EXPECT_EQ(v->getArray("items")->getObject(0)->getValue<long long>("id"), b);

  r = run({"tickets", "list", "--status", "closed"}, f.admin.viewer);
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "no tickets\n");
}

TEST_F(TicketCli, TransitionCommentAndShow) {
  const auto id = std::to_string(create("Протечка с крыши", "GIS-3"));
  auto r = run({"tickets", "transition", id, "in_progress", "--comment", "кровельщики выехали"},
               f.admin.operator_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ticket " + id + " is now in_progress (В работе)\n");

  // Refused: exit 1 and the allowed statuses in the message.
  r = run({"tickets", "transition", id, "closed"}, f.admin.operator_);
  EXPECT_EQ(r.code, cli::kExitFailed);
  EXPECT_NE(r.err.find("409"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("allowed: postponed, done, clarification, cancelled"), std::string::npos)
      << r.err;

  r = run({"tickets", "comment", id, "Доступ на чердак у старшего по дому"}, f.admin.operator_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "comment added to ticket " + id + "\n");
  r = run({"tickets", "comment", id, "Жилец конфликтный", "--internal"}, f.admin.operator_);
  ASSERT_EQ(r.code, 0) << r.err;

  r = run({"tickets", "assign", id, "Кровельщик Петров"}, f.admin.operator_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ticket " + id + " assigned to Кровельщик Петров\n");

  // A viewer may look but not change.
  r = run({"tickets", "comment", id, "x"}, f.admin.viewer);
  EXPECT_EQ(r.code, cli::kExitAuth) << r.err;

  r = run({"tickets", "show", id}, f.admin.viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("status:     in_progress — В работе (resident: В работе)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("next:       postponed (Отложена"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Новая → В работе"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("кровельщики выехали"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[internal] Жилец конфликтный"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Обращение из ГИС ЖКХ"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("assignee:   Кровельщик Петров"), std::string::npos) << r.out;

  // Waiting for the resident holds the SLA clock; show says so.
  ASSERT_EQ(run({"tickets", "transition", id, "clarification"}, f.admin.operator_).code, 0);
  r = run({"tickets", "show", id}, f.admin.viewer);
  EXPECT_NE(r.out.find("(SLA paused since 20"), std::string::npos) << r.out;

  r = run({"tickets", "show", "99999"}, f.admin.viewer);
  EXPECT_EQ(r.code, cli::kExitFailed);
  EXPECT_NE(r.err.find("404"), std::string::npos) << r.err;
  r = run({"tickets", "transition", id}, f.admin.operator_);
  EXPECT_EQ(r.code, cli::kExitUsage);
  r = run({"tickets", "show", id, "--overdue"}, f.admin.viewer);
  EXPECT_EQ(r.code, cli::kExitUsage);
}

}  // namespace
}  // namespace hub::tickets
