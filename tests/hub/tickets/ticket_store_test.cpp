#include "hub/tickets/ticket_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "hub/core/uuid.h"
#include "hub/metrics/registry.h"
#include "ticket_fixture.h"

namespace hub::tickets {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testsupport::TicketFixture;

std::vector<std::string> kinds(const Ticket& t) {
  std::vector<std::string> out;
  for (const auto& e : t.events) out.push_back(e.kind);
  return out;
}

class TicketStoreTest : public ::testing::Test {
 protected:
  TicketFixture f;
};

TEST_F(TicketStoreTest, CreateResolvesTopicDeadlineAndAssignee) {
  auto in = f.phone_ticket("Протечка стояка ГВС", "DSP-1");
  in.attachments = {{"https://portal.example/f/1.jpg", "фото.jpg", "image/jpeg", ""}};
  in.applicant_name = "Иванова А. П.";
  const auto r = f.store->create(in);
  ASSERT_TRUE(r.created);
  const auto t = f.store->get(r.id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->topic, "emergency");
  EXPECT_EQ(t->topic_text, "Протечка стояка ГВС");
  EXPECT_EQ(t->status, "new");
  EXPECT_EQ(t->assignee, "АДС");  // the first rule: emergency → АДС
  EXPECT_EQ(t->created_at, "2026-12-07T07:00:00.000Z");
  EXPECT_EQ(t->due_at, "2026-12-07T08:00:00.000Z");  // emergency: 1 hour
  EXPECT_EQ(t->account, "100234");
  EXPECT_EQ(t->applicant_name, "Иванова А. П.");
  EXPECT_EQ(t->created_by, "call-centre");
  EXPECT_FALSE(t->overdue);
  EXPECT_EQ(kinds(*t), (std::vector<std::string>{"created", "assigned", "attachment_added"}));
  EXPECT_EQ(t->events[0].to_status, "new");
  EXPECT_EQ(t->events[1].actor, "rule");
  ASSERT_EQ(t->attachments.size(), 1u);
  EXPECT_EQ(t->attachments[0].uri, "https://portal.example/f/1.jpg");
  EXPECT_EQ(t->attachments[0].media_type, "image/jpeg");

  // An ordinary topic: 8 working hours from Monday 10:00 Moscow → Monday 18:00 is past 17:00
  // closing, so 7 h Monday + 1 h Tuesday → Tuesday 09:00 Moscow.
  const auto r2 = f.store->create(f.phone_ticket("Вопрос по работе УК"));
  const auto t2 = f.store->get(r2.id);
  EXPECT_EQ(t2->topic, "other");
  EXPECT_EQ(t2->due_at, "2026-12-08T06:00:00.000Z");
  EXPECT_EQ(t2->assignee, "Диспетчерская");
}

TEST_F(TicketStoreTest, SameChannelIdOrMessageIsOneTicket) {
  const auto a = f.store->create(f.phone_ticket("Авария", "DSP-7"));
  const auto b = f.store->create(f.phone_ticket("Авария", "DSP-7"));
  EXPECT_TRUE(a.created);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(a.id, b.id);
  // The same external id from another channel is another ticket.
  auto other = f.phone_ticket("Авария", "DSP-7");
  other.channel = "email";
  EXPECT_NE(f.store->create(other).id, a.id);
  // Without an external id the source message decides.
  auto m = f.phone_ticket("Авария");
  m.message_id = new_uuid_v7();
  const auto c = f.store->create(m);
  const auto d = f.store->create(m);
  EXPECT_TRUE(c.created);
  EXPECT_FALSE(d.created);
  EXPECT_EQ(c.id, d.id);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket"), "3");
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket_event WHERE kind = 'created'"), "3");
}

TEST_F(TicketStoreTest, ConcurrentCreatesOfOneAppealMakeOneTicket) {
  std::vector<std::thread> threads;
  std::vector<CreateResult> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = f.store->create(f.phone_ticket("Авария", "GIS-42")); });
  }
  for (auto& t : threads) t.join();
  int created = 0;
  for (const auto& r : results) {
    created += r.created;
    EXPECT_EQ(r.id, results[0].id);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket_event WHERE kind = 'created'"), "1");
}

TEST_F(TicketStoreTest, RefusesTicketsWithoutTextOrChannel) {
  auto t = f.phone_ticket("Авария");
  t.text = "  ";
  EXPECT_THROW(f.store->create(t), InvalidTicket);
  t = f.phone_ticket("Авария");
  t.channel = "";
  EXPECT_THROW(f.store->create(t), InvalidTicket);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket"), "0");
}

TEST_F(TicketStoreTest, AllowedTransitionsAreRecordedWithHistory) {
  const auto id = f.store->create(f.phone_ticket("Авария", "T-1")).id;
  f.advance(minutes(5));
  f.store->transition(id, "in_progress", "выехала бригада", "dispatcher-1");
  f.advance(minutes(30));
  f.store->transition(id, "done", "", "master-2");
  auto t = f.store->get(id);
  EXPECT_EQ(t->status, "done");
  EXPECT_EQ(t->resolved_at, "2026-12-07T07:35:00.000Z");  // done stops the SLA clock
  // The resident disagrees: back to work, the clock runs again.
  f.store->transition(id, "in_progress", "житель: течь осталась", "dispatcher-1");
  t = f.store->get(id);
  EXPECT_EQ(t->resolved_at, "");
  f.store->transition(id, "done", "", "master-2");
  f.store->transition(id, "closed", "", "dispatcher-1");
  t = f.store->get(id);
  EXPECT_EQ(t->status, "closed");
  std::vector<std::pair<std::string, std::string>> moves;
  for (const auto& e : t->events) {
    if (e.kind == "status_changed") moves.emplace_back(e.from_status, e.to_status);
  }
  EXPECT_EQ(moves, (std::vector<std::pair<std::string, std::string>>{{"new", "in_progress"},
                                                                     {"in_progress", "done"},
                                                                     {"done", "in_progress"},
                                                                     {"in_progress", "done"},
                                                                     {"done", "closed"}}));
  EXPECT_EQ(t->events[2].body, "выехала бригада");
  EXPECT_EQ(t->events[2].actor, "dispatcher-1");
  EXPECT_EQ(t->events[2].at, "2026-12-07T07:05:00.000Z");
}

TEST_F(TicketStoreTest, RefusedTransitionsNameTheAllowedOnesAndChangeNothing) {
  const auto id = f.store->create(f.phone_ticket("Авария", "T-2")).id;
  const auto refused_before =
      metrics::Registry::global().value("zhkh_tickets_transitions_refused_total");
  try {
    f.store->transition(id, "closed", "", "op");
    FAIL() << "new → closed was allowed";
  } catch (const TransitionRefused& e) {
    EXPECT_EQ(e.from(), "new");
    EXPECT_EQ(e.to(), "closed");
    EXPECT_EQ(e.allowed(),
              (std::vector<std::string>{"in_progress", "clarification", "rejected", "cancelled"}));
    EXPECT_NE(std::string(e.what()).find("allowed: in_progress, clarification"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(f.store->transition(id, "finished", "", "op"), TransitionRefused);
  EXPECT_THROW(f.store->transition(id, "new", "", "op"), TransitionRefused);  // already there
  f.store->transition(id, "rejected", "не в зоне ответственности УК", "op");
  try {
    f.store->transition(id, "in_progress", "", "op");
    FAIL();
  } catch (const TransitionRefused& e) {
    EXPECT_TRUE(e.allowed().empty());
    EXPECT_NE(std::string(e.what()).find("terminal"), std::string::npos) << e.what();
  }
  const auto t = f.store->get(id);
  EXPECT_EQ(t->status, "rejected");
  EXPECT_EQ(metrics::Registry::global().value("zhkh_tickets_transitions_refused_total"),
            refused_before + 4);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket_event WHERE kind = 'status_changed'"),
            "1");
  EXPECT_THROW(f.store->transition(999999, "in_progress", "", "op"), TicketNotFound);
}

TEST_F(TicketStoreTest, ConcurrentTransitionsAreCheckedOneAfterTheOther) {
  // From new both moves are allowed; after either one the other is not (in_progress does not
  // lead to rejected, rejected is terminal). The row lock makes exactly one of them win.
  for (int round = 0; round < 5; ++round) {
    const auto id = f.store->create(f.phone_ticket("Авария", "RACE-" + std::to_string(round))).id;
    std::atomic<int> ok{0}, refused{0};
    auto move = [&](const std::string& to) {
      try {
        f.store->transition(id, to, "", "op-" + to);
        ++ok;
      } catch (const TransitionRefused&) {
        ++refused;
      }
    };
    std::thread a(move, "in_progress"), b(move, "rejected");
    a.join();
    b.join();
    EXPECT_EQ(ok, 1);
    EXPECT_EQ(refused, 1);
    EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket_event WHERE ticket_id = " +
                          std::to_string(id) + " AND kind = 'status_changed'"),
              "1");
  }
}

TEST_F(TicketStoreTest, CommentsAndAssignment) {
  const auto id = f.store->create(f.phone_ticket("Не пришла квитанция", "T-3")).id;
  EXPECT_EQ(f.store->get(id)->assignee, "Абонентский отдел");
  f.store->comment(id, "Перезвонить после 18:00", true, "op-1");
  f.store->comment(id, "Квитанция отправлена повторно на e-mail", false, "op-1");
  f.store->assign(id, "Петрова Е. В.", "op-1");
  EXPECT_FALSE(f.store->assign(id, "Петрова Е. В.", "op-1").applied);  // no change, no event
  EXPECT_THROW(f.store->comment(id, " ", false, "op-1"), InvalidTicket);
  EXPECT_THROW(f.store->assign(id, "", "op-1"), InvalidTicket);
  const auto t = f.store->get(id);
  EXPECT_EQ(t->assignee, "Петрова Е. В.");
  EXPECT_EQ(kinds(*t),
            (std::vector<std::string>{"created", "assigned", "comment", "comment", "assigned"}));
  EXPECT_TRUE(t->events[2].internal);
  EXPECT_FALSE(t->events[3].internal);
  EXPECT_EQ(t->events[4].assignee, "Петрова Е. В.");
}

TEST_F(TicketStoreTest, ChangeWithMessageIdAppliesOnce) {
  const auto id = f.store->create(f.phone_ticket("Авария", "T-4")).id;
  TicketChange ch;
  ch.status = "in_progress";
  ch.comment = "принято в ГИС ЖКХ";
  ch.assignee = "Бригада 3";
  ch.attachments = {{"gis:attachment/1", "акт.pdf", "application/pdf", ""}};
  ch.actor = "gis";
  ch.message_id = new_uuid_v7();
  const auto first = f.store->change(id, ch);
  EXPECT_TRUE(first.applied);
  EXPECT_EQ(first.event_ids.size(), 3u);  // status (with its comment), assignment, attachment
  const auto again = f.store->change(id, ch);
  EXPECT_FALSE(again.applied);
  EXPECT_TRUE(again.duplicate);
  const auto t = f.store->get(id);
  EXPECT_EQ(t->status, "in_progress");
  EXPECT_EQ(t->assignee, "Бригада 3");
  EXPECT_EQ(t->attachments.size(), 1u);
  EXPECT_EQ(kinds(*t), (std::vector<std::string>{"created", "assigned", "status_changed",
                                                 "assigned", "attachment_added"}));
  // A channel re-sending the status the ticket already has, with a new comment: a comment.
  TicketChange same;
  same.status = "in_progress";
  same.comment = "ещё раз";
  same.actor = "gis";
  same.message_id = new_uuid_v7();
  EXPECT_TRUE(f.store->change(id, same).applied);
  EXPECT_EQ(f.store->get(id)->events.back().kind, "comment");
}

TEST_F(TicketStoreTest, OverdueFilterAndSlaBreachRecordedOnce) {
  const auto urgent = f.store->create(f.phone_ticket("Авария", "S-1")).id;    // due 11:00
  const auto ordinary = f.store->create(f.phone_ticket("Вопрос", "S-2")).id;  // due Tue
  const auto fixed = f.store->create(f.phone_ticket("Затопило", "S-3")).id;   // due 11:00
  f.store->transition(fixed, "in_progress", "", "op");
  f.store->transition(fixed, "done", "", "op");
  TicketFilter overdue;
  overdue.overdue_only = true;
  EXPECT_EQ(f.store->list(overdue).total, 0);
  EXPECT_EQ(f.store->record_sla_breaches(), 0);

  f.advance(minutes(61));  // 11:01: the open emergency is late, the done one is not
  auto page = f.store->list(overdue);
  ASSERT_EQ(page.total, 1);
  EXPECT_EQ(page.items[0].id, urgent);
  EXPECT_TRUE(page.items[0].overdue);
  EXPECT_FALSE(f.store->get(ordinary)->overdue);
  const auto breaches = metrics::Registry::global().value("zhkh_tickets_sla_breaches_total");
  EXPECT_EQ(f.store->record_sla_breaches(), 1);
  EXPECT_EQ(f.store->record_sla_breaches(), 0);  // once per ticket
  EXPECT_EQ(metrics::Registry::global().value("zhkh_tickets_sla_breaches_total"), breaches + 1);
  EXPECT_EQ(metrics::Registry::global().value("zhkh_tickets_overdue"), 1);
  auto t = f.store->get(urgent);
  EXPECT_EQ(t->sla_breached_at, "2026-12-07T08:01:00.000Z");
  EXPECT_EQ(t->events.back().kind, "sla_breached");
  EXPECT_EQ(t->events.back().actor, "sla");

  f.advance(hours(24));
  EXPECT_EQ(f.store->list(overdue).total, 2);
  EXPECT_EQ(f.store->record_sla_breaches(), 1);
  // Resolving a late ticket takes it off the overdue list; the breach stays in the history.
  f.store->transition(urgent, "in_progress", "", "op");
  f.store->transition(urgent, "done", "", "op");
  page = f.store->list(overdue);
  ASSERT_EQ(page.total, 1);
  EXPECT_EQ(page.items[0].id, ordinary);
}

TEST_F(TicketStoreTest, WaitingForTheResidentHoldsTheSlaClock) {
  const auto id = f.store->create(f.phone_ticket("Авария", "P-1")).id;  // due 11:00 Moscow
  f.advance(minutes(20));
  f.store->transition(id, "clarification", "уточните номер подъезда", "op");
  auto t = f.store->get(id);
  EXPECT_EQ(t->sla_paused_at, "2026-12-07T07:20:00.000Z");
  f.advance(minutes(100));  // 12:00: past the original deadline, but the clock is held
  TicketFilter overdue;
  overdue.overdue_only = true;
  EXPECT_EQ(f.store->list(overdue).total, 0);
  EXPECT_EQ(f.store->record_sla_breaches(), 0);
  EXPECT_FALSE(f.store->get(id)->overdue);
  f.store->transition(id, "in_progress", "житель ответил: подъезд 2", "op");
  t = f.store->get(id);
  EXPECT_EQ(t->sla_paused_at, "");
  EXPECT_EQ(t->due_at, "2026-12-07T09:40:00.000Z");  // the 40 minutes left, from 12:00
  f.advance(minutes(41));
  EXPECT_EQ(f.store->list(overdue).total, 1);
}

TEST_F(TicketStoreTest, ListFiltersAndPages) {
  auto a = f.phone_ticket("Авария", "L-1");
  a.house = "house-A";
  auto b = f.phone_ticket("Не пришла квитанция", "L-2");
  b.house = "house-B";
  b.account = "200";
  auto c = f.phone_ticket("Лифт не работает", "L-3");
  c.channel = "gis";
  c.house = "house-A";
  const auto ida = f.store->create(a).id;
  f.advance(minutes(1));
  const auto idb = f.store->create(b).id;
  f.advance(minutes(1));
  const auto idc = f.store->create(c).id;
  f.store->transition(idb, "in_progress", "", "op");

  auto ids = [&](TicketFilter filter) {
    std::vector<long long> out;
    for (const auto& t : f.store->list(filter).items) out.push_back(t.id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<long long>{idc, idb, ida}));  // newest first
  EXPECT_EQ(ids({.house = "house-A"}), (std::vector<long long>{idc, ida}));
  EXPECT_EQ(ids({.status = "in_progress"}), (std::vector<long long>{idb}));
  EXPECT_EQ(ids({.topic = "elevator"}), (std::vector<long long>{idc}));
  EXPECT_EQ(ids({.account = "200"}), (std::vector<long long>{idb}));
  EXPECT_EQ(ids({.assignee = "АДС"}), (std::vector<long long>{ida}));
  EXPECT_EQ(ids({.channel = "gis"}), (std::vector<long long>{idc}));
  EXPECT_EQ(ids({.status = "new", .house = "house-A"}), (std::vector<long long>{idc, ida}));
  const auto page = f.store->list({.limit = 2, .offset = 2});
  EXPECT_EQ(page.total, 3);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, ida);
  const auto past = f.store->list({.limit = 2, .offset = 10});
  EXPECT_TRUE(past.items.empty());
  EXPECT_EQ(past.total, 3);
  // Values are data, never SQL.
  EXPECT_TRUE(ids({.house = "x' OR '1'='1"}).empty());
}

}  // namespace
}  // namespace hub::tickets

namespace hub::tickets {
namespace {

TEST(TicketStoreBilling, AccountKnownToBillingGivesHouseAndPremiseForAssignment) {
  testsupport::TicketFixture f;
  f.db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number) VALUES "
      "('test:100777', '100777', '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', '45')");
  const auto model = std::make_shared<TicketModel>(TicketModel::parse(R"(statuses:
  - {code: new, staff: Новая, initial: true}
  - {code: closed, staff: Закрыта, terminal: true}
transitions: {new: [closed]}
default_topic: other
topics: [{code: other}]
assignment:
  - {house: [5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69], assignee: Участок 2}
)",
                                                                      "houses.yaml"));
  TicketStore store(*f.pool, model);
  NewTicket t;
  t.channel = "phone";
  t.text = "Шумят соседи";
  t.account = "100777";
  auto got = store.get(store.create(t).id);
  EXPECT_EQ(got->house, "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69");
  EXPECT_EQ(got->premise, "45");
  EXPECT_EQ(got->assignee, "Участок 2");
  // What the caller said wins over billing; an account billing does not know changes nothing.
  t.house = "other-house";
  got = store.get(store.create(t).id);
  EXPECT_EQ(got->house, "other-house");
  EXPECT_EQ(got->premise, "45");
  EXPECT_EQ(got->assignee, "");
  t.house = "";
  t.account = "999";
  got = store.get(store.create(t).id);
  EXPECT_EQ(got->house, "");
  EXPECT_EQ(got->account, "999");
}

}  // namespace
}  // namespace hub::tickets
