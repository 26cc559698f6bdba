#include "hub/tickets/ticket_model.h"

#include <gtest/gtest.h>

#include "hub/core/error.h"
#include "hub/xml/envelope_xml.h"
#include "test_paths.h"

namespace hub::tickets {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using xml::format_timestamp;
using xml::parse_timestamp;

// A small model; each error test below breaks one line of it.
const std::string kModel = R"(organisation: УК Тест
statuses:
  - {code: new, staff: Новая, resident: Принята, initial: true}
  - {code: in_progress, staff: В работе}
  - {code: postponed, staff: Отложена, resident: В работе}
  - {code: done, staff: Выполнена, resident: Выполнена, resolved: true}
  - {code: closed, staff: Закрыта, terminal: true}
transitions:
  new: [in_progress, closed]
  in_progress: [postponed, done]
  postponed: [in_progress]
  done: [closed, in_progress]
working_time:
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-18:00"
  utc_offset: "+03:00"
  holidays: [2026-12-31]
sla: {default: 8 working hours}
default_topic: other
topics:
  - {code: emergency, label: Аварийная, sla: 1h, keywords: [протечк, затоп], aliases: [Авария]}
  - {code: billing, label: Начисления, sla: 3d, keywords: [квитанц, счётчик]}
  - {code: other, label: Прочее}
assignment:
  - {topic: [emergency], house: [h-1], assignee: Участок 1 АДС}
  - {topic: [emergency], assignee: АДС}
  - {house: [h-2], channel: [gis], assignee: Участок 2}
)";

TicketModel model() {
  return TicketModel::parse(kModel, "tickets.yaml");
}

/// kModel with the first occurrence of `from` replaced by `to`.
std::string variant(const std::string& from, const std::string& to) {
  auto text = kModel;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

void expect_error(const std::string& yaml, int line, const std::string& key,
                  const std::string& words) {
  try {
    TicketModel::parse(yaml, "tickets.yaml");
    ADD_FAILURE() << "accepted; expected an error at line " << line << " key " << key;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "tickets.yaml");
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(TicketModel, DefaultModelShippedInDeployParses) {
  const auto m = TicketModel::load(testing::source_dir() / "deploy/tickets.yaml");
  EXPECT_EQ(m.initial_status(), "new");
  EXPECT_EQ(m.label("new", Audience::kStaff), "Новая");
  EXPECT_EQ(m.label("new", Audience::kResident), "Принята");
  EXPECT_TRUE(m.status("closed")->terminal);
  EXPECT_TRUE(m.status("done")->resolved);
  EXPECT_FALSE(m.status("done")->terminal);
  // A resident may withdraw a ticket at any open step.
  for (const auto& s : m.statuses()) {
    if (!s.terminal && s.code != "done") {
      EXPECT_TRUE(m.allows(s.code, "cancelled")) << s.code;
    }
  }
  // The canonical sample's topic (a leaking riser) is an emergency, assigned to АДС, 1 hour.
  EXPECT_EQ(m.resolve_topic("Протечка стояка ГВС").code, "emergency");
  EXPECT_EQ(m.assignee_for("emergency", "", "phone").value_or(""), "АДС");
  EXPECT_EQ(m.sla_for("emergency").amount, hours(1));
  EXPECT_EQ(m.resolve_topic("Не пришла квитанция за октябрь").code, "billing");
  EXPECT_EQ(m.resolve_topic("Заказ услуги").code, "paid_service");
  EXPECT_EQ(m.resolve_topic("Что-то непонятное").code, "other");
  EXPECT_EQ(m.sla_for("other").kind, SlaDuration::Kind::kWorking);
}

TEST(TicketModel, TransitionsAndLabels) {
  const auto m = model();
  EXPECT_TRUE(m.allows("new", "in_progress"));
  EXPECT_FALSE(m.allows("new", "done"));
  EXPECT_FALSE(m.allows("closed", "new"));
  EXPECT_EQ(m.allowed_from("done"), (std::vector<std::string>{"closed", "in_progress"}));
  EXPECT_TRUE(m.allowed_from("closed").empty());
  EXPECT_TRUE(m.allowed_from("no-such").empty());
  // Staff see "Отложена"; a resident sees it as still "В работе".
  EXPECT_EQ(m.label("postponed", Audience::kStaff), "Отложена");
  EXPECT_EQ(m.label("postponed", Audience::kResident), "В работе");
  // No resident label configured: the staff one is used.
  EXPECT_EQ(m.label("in_progress", Audience::kResident), "В работе");
  EXPECT_EQ(m.label("gone", Audience::kResident), "gone");
  EXPECT_TRUE(m.is_resolved("closed"));  // terminal implies resolved
  EXPECT_TRUE(m.is_resolved("done"));
  EXPECT_FALSE(m.is_resolved("postponed"));
}

TEST(TicketModel, TopicResolutionIgnoresCaseAndYo) {
  const auto m = model();
  EXPECT_EQ(m.resolve_topic("emergency").code, "emergency");
  EXPECT_EQ(m.resolve_topic("АВАРИЯ").code, "emergency");           // alias, upper case
  EXPECT_EQ(m.resolve_topic("  начисления ").code, "billing");      // label, trimmed
  EXPECT_EQ(m.resolve_topic("ЗАТОПИЛИ соседи").code, "emergency");  // keyword
  EXPECT_EQ(m.resolve_topic("Замена счетчика").code, "billing");    // ё in config, е in text
  EXPECT_EQ(m.resolve_topic("").code, "other");
  EXPECT_EQ(m.resolve_topic("Шум во дворе").code, "other");
  EXPECT_EQ(fold_case("ЁЛКА Ёж Abc"), "елка еж abc");
}

TEST(TicketModel, AssignmentFirstMatchWins) {
  const auto m = model();
  // Both emergency rules match house h-1; the first (more specific, listed first) wins.
  EXPECT_EQ(m.assignee_for("emergency", "h-1", "phone").value_or(""), "Участок 1 АДС");
  EXPECT_EQ(m.assignee_for("emergency", "h-9", "phone").value_or(""), "АДС");
  EXPECT_EQ(m.assignee_for("billing", "h-2", "gis").value_or(""), "Участок 2");
  // The h-2 rule is for the gis channel only.
  EXPECT_FALSE(m.assignee_for("billing", "h-2", "email").has_value());
  EXPECT_FALSE(m.assignee_for("other", "", "phone").has_value());
}

TEST(TicketModel, SlaCalendarAndWorkingHours) {
  const auto m = model();
  const auto mon_10 = parse_timestamp("2026-12-07T07:00:00Z");  // Monday 10:00 Moscow
  EXPECT_EQ(format_timestamp(*m.due_at("emergency", mon_10)), "2026-12-07T08:00:00.000Z");
  EXPECT_EQ(format_timestamp(*m.due_at("billing", mon_10)), "2026-12-10T07:00:00.000Z");
  // 8 working hours from Monday 10:00 (09:00-18:00) fit in the day: Monday 18:00 Moscow.
  EXPECT_EQ(format_timestamp(*m.due_at("other", mon_10)), "2026-12-07T15:00:00.000Z");
  // From Monday 11:00: 7 h on Monday, 1 h on Tuesday → Tuesday 10:00.
  const auto mon_11 = parse_timestamp("2026-12-07T08:00:00Z");
  EXPECT_EQ(format_timestamp(*m.due_at("other", mon_11)), "2026-12-08T07:00:00.000Z");
  // Friday 17:30 Moscow: 30 min on Friday, the weekend skipped, 7.5 h on Monday → Mon 16:30.
  const auto fri = parse_timestamp("2026-12-11T14:30:00Z");
  EXPECT_EQ(format_timestamp(*m.due_at("other", fri)), "2026-12-14T13:30:00.000Z");
  // Saturday night: counting starts Monday 09:00 → Monday 17:00.
  const auto sat = parse_timestamp("2026-12-12T20:00:00Z");
  EXPECT_EQ(format_timestamp(*m.due_at("other", sat)), "2026-12-14T14:00:00.000Z");
  // Before opening on a working day: from 09:00.
  const auto early = parse_timestamp("2026-12-08T03:15:42Z");  // Tue 06:15:42 Moscow
  EXPECT_EQ(format_timestamp(*m.due_at("other", early)), "2026-12-08T14:00:00.000Z");
  // 2026-12-31 (Thursday) is a holiday in this model: Wednesday 17:00 → 1 h Wed, Fri 09-16.
  const auto wed = parse_timestamp("2026-12-30T14:00:00Z");
  EXPECT_EQ(format_timestamp(*m.due_at("other", wed)), "2027-01-01T13:00:00.000Z");
  // Seconds survive: 10:00:30 + 1 h.
  const auto odd = parse_timestamp("2026-12-07T07:00:30Z");
  EXPECT_EQ(format_timestamp(*m.due_at("emergency", odd)), "2026-12-07T08:00:30.000Z");
}

TEST(TicketModel, PausedClockResumesWithWhatWasLeft) {
  const auto m = TicketModel::parse(
      variant("{code: postponed, staff: Отложена, resident: В работе}",
              "{code: postponed, staff: Отложена, resident: В работе, pauses_sla: true}"),
      "t.yaml");
  EXPECT_TRUE(m.pauses_sla("postponed"));
  EXPECT_FALSE(m.pauses_sla("in_progress"));
  const auto& wt = m.working_time();
  // Mon 10:00 → Tue 10:00 Moscow, working 09:00-18:00: Mon 10-18 and Tue 09-10 = 9 hours.
  EXPECT_EQ(working_time_between(parse_timestamp("2026-12-07T07:00:00Z"),
                                 parse_timestamp("2026-12-08T07:00:00Z"), wt),
            hours(9));
  // Over the weekend and the 2026-12-31 holiday nothing counts.
  EXPECT_EQ(working_time_between(parse_timestamp("2026-12-11T15:00:00Z"),
                                 parse_timestamp("2026-12-14T06:00:00Z"), wt),
            minutes(0));
  EXPECT_EQ(working_time_between(parse_timestamp("2026-12-31T06:00:00Z"),
                                 parse_timestamp("2026-12-31T15:00:00Z"), wt),
            minutes(0));
  EXPECT_EQ(working_time_between(parse_timestamp("2026-12-08T07:00:00Z"),
                                 parse_timestamp("2026-12-07T07:00:00Z"), wt),
            minutes(0));
  // Calendar SLA: 40 min were left at the pause → 40 min after the resume.
  const auto due = parse_timestamp("2026-12-07T08:00:00Z");
  EXPECT_EQ(format_timestamp(m.resume_due("emergency", due, parse_timestamp("2026-12-07T07:20:00Z"),
                                          parse_timestamp("2026-12-07T09:00:00Z"))),
            "2026-12-07T09:40:00.000Z");
  // Working SLA: paused Friday 17:00 Moscow with Monday 16:00 due (1 h Fri + 7 h Mon left);
  // resumed Tuesday 09:00 → 8 working hours from then: Tuesday 17:00.
  EXPECT_EQ(format_timestamp(m.resume_due("other", parse_timestamp("2026-12-14T13:00:00Z"),
                                          parse_timestamp("2026-12-11T14:00:00Z"),
                                          parse_timestamp("2026-12-15T06:00:00Z"))),
            "2026-12-15T14:00:00.000Z");
  // Late already when paused: the deadline stays.
  EXPECT_EQ(m.resume_due("emergency", due, parse_timestamp("2026-12-07T09:00:00Z"),
                         parse_timestamp("2026-12-07T10:00:00Z")),
            due);
}

TEST(TicketModel, NoDefaultSlaMeansNoDeadline) {
  const auto m = TicketModel::parse(variant("sla: {default: 8 working hours}\n", ""), "t.yaml");
  EXPECT_FALSE(m.due_at("other", std::chrono::system_clock::now()).has_value());
  EXPECT_TRUE(m.due_at("emergency", std::chrono::system_clock::now()).has_value());
}

TEST(TicketModel, ErrorsNameLineAndKey) {
  expect_error(variant("organisation", "organization"), 1, "organization", "unknown key");
  expect_error(variant("{code: new,", "{code: New,"), 3, "statuses[0].code", "lower-case");
  expect_error(variant("{code: postponed,", "{code: in_progress,"), 5, "statuses[2].code",
               "duplicate status 'in_progress' (first at line 4)");
  expect_error(variant(", initial: true}", "}"), 3, "statuses", "initial");
  expect_error(variant("{code: in_progress, staff: В работе}",
                       "{code: in_progress, initial: true, staff: x}"),
               4, "statuses[1].initial", "two initial statuses");
  expect_error(variant("resolved: true}", "resolved: true, pauses_sla: true}"), 6,
               "statuses[3].pauses_sla", "stopped already");
  expect_error(variant("{code: done, staff: Выполнена,", "{code: done, stuff: Выполнена,"), 6,
               "statuses[3].stuff", "unknown key");
  expect_error(variant("new: [in_progress, closed]", "new: [in_progress, finished]"), 9,
               "transitions.new[1]", "unknown status 'finished'");
  expect_error(variant("postponed: [in_progress]", "postponed: [in_progress]\n  closed: [new]"), 12,
               "transitions.closed", "terminal");
  expect_error(variant("postponed: [in_progress]", "postponed: []"), 5, "transitions.postponed",
               "no transitions out");
  expect_error(variant("in_progress: [postponed, done]", "in_progress: [done]"), 5,
               "statuses.postponed", "cannot be reached from 'new'");
  expect_error(variant("days: [mon,", "days: [mon, funday,"), 14, "working_time.days[1]",
               "unknown day 'funday'");
  expect_error(variant("\"09:00-18:00\"", "\"18:00-09:00\""), 15, "working_time.hours",
               "start before end");
  expect_error(variant("\"+03:00\"", "\"Moscow\""), 16, "working_time.utc_offset", "+HH:MM");
  expect_error(variant("[2026-12-31]", "[2026-13-31]"), 17, "working_time.holidays[0]",
               "YYYY-MM-DD");
  expect_error(variant("8 working hours", "8 fortnights"), 18, "sla.default", "unknown unit");
  expect_error(variant("sla: 1h", "sla: soon"), 21, "topics[0].sla", "positive duration");
  expect_error(variant("default_topic: other", "default_topic: misc"), 19, "default_topic",
               "unknown topic 'misc'");
  expect_error(variant("{topic: [emergency], assignee: АДС}", "{topic: [emergncy], assignee: АДС}"),
               26, "assignment[1].topic", "unknown topic 'emergncy'");
  expect_error(variant("{house: [h-2], channel: [gis], assignee: Участок 2}", "{house: [h-2]}"), 27,
               "assignment[2].assignee", "needs an assignee");
  expect_error(variant("topics:\n", "topics:\n  - {code: other}\n"), 24, "topics[3].code",
               "duplicate topic 'other' (first at line 21)");
  expect_error("statuses: [", 1, "", "YAML syntax");
  expect_error("", 1, "", "expected a mapping");
}

TEST(TicketModel, MissingFileIsAConfigError) {
  try {
    TicketModel::load("/nonexistent/tickets.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/tickets.yaml");
    EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos);
  }
}

}  // namespace
}  // namespace hub::tickets
