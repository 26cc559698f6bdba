#include "hub/tickets/ticket_publisher.h"

#include <gtest/gtest.h>

#include <thread>

#include "hub/core/uuid.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/tickets/ticket_messages.h"
#include "hub/tickets/ticket_sink.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "ticket_fixture.h"

namespace hub::tickets {
namespace {

using namespace std::chrono_literals;
using testsupport::TicketFixture;

/// The real Ingress (schemas validate every published body) with no routes.
class TicketPublisherTest : public ::testing::Test {
 protected:
  TicketPublisherTest() {
    router_.set(std::make_shared<router::Router>(
        std::make_shared<router::RoutingConfig>(router::parse_routing_config("", "none.yaml")),
        std::make_shared<xml::StylesheetCache>(testing::source_dir() / "mappings"), 1));
    ingress_ = std::make_unique<ingress::Ingress>(
        *f.pool, xml::SchemaRegistry::load(testing::source_dir() / "schemas/canonical"), router_);
    publisher_ = std::make_unique<TicketPublisher>(*f.pool, *ingress_, 50ms);
  }

  std::string published(const std::string& what) {
    return f.db.scalar("SELECT " + what +
                       " FROM hub.message WHERE type = 'ticket.updated' AND source = "
                       "'ticket_store'");
  }

  TicketFixture f;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  std::unique_ptr<TicketPublisher> publisher_;
};

TEST_F(TicketPublisherTest, StaffChangesBecomeValidTicketUpdatedOnce) {
  auto in = f.phone_ticket("Авария", "GIS-APPEAL-1");
  in.channel = "gis";
  in.attachments = {{"gis:attachment/77", "фото.jpg", "image/jpeg", ""}};
  in.message_id = new_uuid_v7();
  const auto id = f.store->create(in).id;
  // What the ticket came with (created, rule assignment, its attachment) is not published.
  EXPECT_EQ(publisher_->publish_pending(), 0);

  f.store->transition(id, "in_progress", "Бригада выехала\nпо адресу", "dispatcher.petrova");
  f.store->comment(id, "Ключи у соседки", true, "dispatcher.petrova");
  f.store->assign(id, "Бригада №2", "dispatcher.petrova");
  TicketChange att;
  att.attachments = {{"store://acts/1.pdf", "акт <выполненных работ>.pdf", "application/pdf", ""}};
  att.actor = "master";
  f.store->change(id, att);
  // A change that came from the channel itself is not echoed back to it.
  TicketChange from_channel;
  from_channel.comment = "житель: спасибо";
  from_channel.actor = "resident";
  from_channel.message_id = new_uuid_v7();
  f.store->change(id, from_channel);

  EXPECT_EQ(publisher_->publish_pending(), 4);
  EXPECT_EQ(publisher_->publish_pending(), 0);
  EXPECT_EQ(published("count(*)"), "4");
  // The history shows which changes went out: the four staff ones, not the ticket's arrival.
  std::vector<std::string> sent;
  const auto after = f.store->get(id);
  for (const auto& e : after->events) {
    if (!e.published_at.empty()) sent.push_back(e.kind);
  }
  EXPECT_EQ(sent, (std::vector<std::string>{"status_changed", "comment", "assigned",
                                            "attachment_added"}));

  // Read back through the same reader the ticket_store sink uses.
  const auto body = [&](int n) {
    return f.db.scalar(
        "SELECT body FROM hub.message WHERE source = 'ticket_store' ORDER BY "
        "length(idempotency_key), idempotency_key "
        "LIMIT 1 OFFSET " +
        std::to_string(n));
  };
  auto u = read_ticket_updated(body(0), "published 0");
  EXPECT_EQ(u.channel, "gis");
  EXPECT_EQ(u.external_id, "GIS-APPEAL-1");
  EXPECT_EQ(u.ticket_id, std::to_string(id));
  EXPECT_EQ(u.change.status.value_or(""), "in_progress");
  EXPECT_EQ(u.change.comment.value_or(""), "Бригада выехала\nпо адресу");
  EXPECT_FALSE(u.change.internal);
  EXPECT_EQ(u.change.actor, "dispatcher.petrova");
  u = read_ticket_updated(body(1), "published 1");
  EXPECT_FALSE(u.change.status);
  EXPECT_TRUE(u.change.internal);
  u = read_ticket_updated(body(2), "published 2");
  EXPECT_EQ(u.change.assignee.value_or(""), "Бригада №2");
  u = read_ticket_updated(body(3), "published 3");
  ASSERT_EQ(u.change.attachments.size(), 1u);
  EXPECT_EQ(u.change.attachments[0].uri, "store://acts/1.pdf");
  EXPECT_EQ(u.change.attachments[0].name, "акт <выполненных работ>.pdf");
  // The flow the ticket came in with ties the updates to it.
  EXPECT_EQ(f.db.scalar("SELECT count(DISTINCT correlation_id) FROM hub.message WHERE source = "
                        "'ticket_store'"),
            "1");
  EXPECT_EQ(published("min(correlation_id)"), in.message_id);

  // Published again after a crash between submit and mark: Ingress knows the keys.
  f.db.exec("UPDATE tickets.ticket_event SET published_at = NULL WHERE kind = 'assigned'");
  publisher_->publish_pending();
  EXPECT_EQ(published("count(*)"), "4");
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket_event WHERE published_at IS NULL "
                        "AND message_id IS NULL AND actor <> 'rule' AND kind <> 'sla_breached'"),
            "0");
}

TEST_F(TicketPublisherTest, RefusedBodyIsMarkedNotRetried) {
  // A row from before channels were checked: 'website' is not a canonical c:Channel.
  f.db.exec(
      "INSERT INTO tickets.ticket (id, channel, topic, topic_text, body, status, created_by) "
      "VALUES (500, 'website', 'other', 'x', 'x', 'new', 'old')");
  f.store->transition(500, "in_progress", "", "op");
  const auto ok = f.store->create(f.phone_ticket("Авария", "OK-1")).id;
  f.store->comment(ok, "всё хорошо", false, "op");
  EXPECT_EQ(publisher_->publish_pending(), 1);
  EXPECT_EQ(publisher_->publish_pending(), 0);
  const auto error = f.db.scalar(
      "SELECT publish_error FROM tickets.ticket_event WHERE ticket_id = 500 AND kind = "
      "'status_changed'");
  EXPECT_NE(error.find("channel"), std::string::npos) << error;
  EXPECT_EQ(f.store->get(500)->events.back().publish_error, error);
}

TEST_F(TicketPublisherTest, BackgroundLoopWakesOnAChange) {
  f.store->set_on_change([this] { publisher_->wake(); });
  publisher_->start();
  const auto id = f.store->create(f.phone_ticket("Авария", "BG-1")).id;
  f.store->transition(id, "in_progress", "", "op");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (published("count(*)") != "1" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  publisher_->stop();
  EXPECT_EQ(published("count(*)"), "1");
}

TEST_F(TicketPublisherTest, TheSinkSkipsTheStoresOwnUpdates) {
  const auto id = f.store->create(f.phone_ticket("Авария", "OWN-1")).id;
  f.store->transition(id, "in_progress", "", "op");
  ASSERT_EQ(publisher_->publish_pending(), 1);
  Envelope e;
  e.id = f.db.scalar("SELECT id FROM hub.message WHERE source = 'ticket_store'");
  e.type = "ticket.updated";
  e.source = "ticket_store";
  e.body = f.db.scalar("SELECT body FROM hub.message WHERE source = 'ticket_store'");
  TicketSink sink(f.store);
  EXPECT_EQ(sink.deliver(e).kind, DeliveryResult::Kind::kDelivered);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket_event WHERE ticket_id = " +
                        std::to_string(id) + " AND kind = 'status_changed'"),
            "1");
}

}  // namespace
}  // namespace hub::tickets
