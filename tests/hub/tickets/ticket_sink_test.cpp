#include "hub/tickets/ticket_sink.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "hub/core/uuid.h"
#include "hub/dispatcher/dispatcher.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/tickets/ticket_messages.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "ticket_fixture.h"

namespace hub::tickets {
namespace {

using namespace std::chrono_literals;
using testsupport::TicketFixture;
using Kind = DeliveryResult::Kind;

std::string sample(const std::string& type) {
  std::ifstream in(testing::source_dir() / "schemas/canonical/samples" / (type + ".xml"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::shared_ptr<const xml::SchemaRegistry>& schemas() {
  static const auto r = xml::SchemaRegistry::load(testing::source_dir() / "schemas/canonical");
  return r;
}

/// An envelope as Ingress would hand it over, its body checked against the type's XSD first so
/// that every body these tests deliver is one the hub would accept.
Envelope message(const std::string& type, const std::string& body) {
  schemas()->validate_or_throw(type, xml::parse_xml(body, type));
  Envelope e;
  e.id = new_uuid_v7();
  e.type = type;
  e.source = "dispatch-app";
  e.correlation_id = e.id;
  e.idempotency_key = "test:" + e.id;
  e.body = body;
  return e;
}

std::string updated_body(const std::string& inner) {
  return "<c:ticketUpdated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>phone</c:channel>"
         "<c:externalId>DSP-2026-004512</c:externalId>" +
         inner + "</c:ticketUpdated>";
}

class TicketSinkTest : public ::testing::Test {
 protected:
  TicketFixture f;
  TicketSink sink{f.store};
};

TEST_F(TicketSinkTest, TicketCreatedSampleBecomesOneTicket) {
  const auto m = message("ticket.created", sample("ticket.created"));
  const auto r = sink.deliver(m);
  ASSERT_EQ(r.kind, Kind::kDelivered) << r.reason;
  const auto id = f.store->find_by_channel_id("phone", "DSP-2026-004512");
  ASSERT_TRUE(id);
  const auto t = f.store->get(*id);
  EXPECT_EQ(t->topic, "emergency");
  EXPECT_EQ(t->topic_text, "Протечка стояка ГВС");
  EXPECT_EQ(t->account, "100234");
  EXPECT_EQ(t->house, "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69");
  EXPECT_EQ(t->premise, "12А");
  EXPECT_EQ(t->applicant_name, "Иванова Мария Петровна");
  EXPECT_EQ(t->applicant_phone, "+79171234567");
  EXPECT_EQ(t->submitted_at, "2026-11-24T04:52:10.000Z");
  EXPECT_EQ(t->message_id, m.id);
  EXPECT_EQ(t->created_by, "dispatch-app");
  EXPECT_EQ(t->assignee, "АДС");
  ASSERT_EQ(t->attachments.size(), 1u);
  EXPECT_EQ(t->attachments[0].uri, "store://tickets/2026/11/DSP-2026-004512/riser.jpg");
  EXPECT_EQ(t->attachments[0].media_type, "image/jpeg");

  // The dispatcher redelivers the same message; the channel sends the appeal again.
  EXPECT_EQ(sink.deliver(m).kind, Kind::kDelivered);
  EXPECT_EQ(sink.deliver(message("ticket.created", sample("ticket.created"))).kind,
            Kind::kDelivered);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.ticket"), "1");
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM tickets.attachment"), "1");
}

TEST_F(TicketSinkTest, TicketUpdatedSampleAppliesOnce) {
  ASSERT_EQ(sink.deliver(message("ticket.created", sample("ticket.created"))).kind,
            Kind::kDelivered);
  const auto m = message("ticket.updated", sample("ticket.updated"));
  const auto r = sink.deliver(m);
  ASSERT_EQ(r.kind, Kind::kDelivered) << r.reason;
  EXPECT_EQ(sink.deliver(m).kind, Kind::kDelivered);  // redelivery: nothing twice
  const auto t = f.store->get(*f.store->find_by_channel_id("phone", "DSP-2026-004512"));
  EXPECT_EQ(t->status, "in_progress");
  EXPECT_EQ(t->assignee, "Бригада сантехников №2");
  // created, assigned (rule), attachment_added, status_changed (with the comment), assigned.
  ASSERT_EQ(t->events.size(), 5u);
  const auto& moved = t->events[3];
  EXPECT_EQ(moved.kind, "status_changed");
  EXPECT_EQ(moved.body, "Бригада сантехников выезжает, перекрыт стояк ГВС в подъезде 1.");
  EXPECT_EQ(moved.actor, "dispatcher.petrova");
  EXPECT_EQ(moved.message_id, m.id);
  EXPECT_EQ(moved.at, "2026-11-24T05:05:00.000Z");  // changedAt, not the arrival time
  EXPECT_EQ(t->events[4].assignee, "Бригада сантехников №2");
}

TEST_F(TicketSinkTest, UpdateByStoreIdAndInternalComment) {
  ASSERT_EQ(sink.deliver(message("ticket.created", sample("ticket.created"))).kind,
            Kind::kDelivered);
  const auto id = *f.store->find_by_channel_id("phone", "DSP-2026-004512");
  const auto r = sink.deliver(
      message("ticket.updated",
              "<c:ticketUpdated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>phone</c:channel>"
              "<c:externalId>unknown-to-the-store</c:externalId><c:ticketId>" +
                  std::to_string(id) +
                  "</c:ticketId><c:comment>Ключи у соседки из кв. 14</c:comment>"
                  "<c:internal>true</c:internal></c:ticketUpdated>"));
  ASSERT_EQ(r.kind, Kind::kDelivered) << r.reason;
  const auto t = f.store->get(id);
  EXPECT_EQ(t->events.back().kind, "comment");
  EXPECT_TRUE(t->events.back().internal);
  EXPECT_EQ(t->events.back().actor, "dispatch-app");  // no author: the source instance
}

TEST_F(TicketSinkTest, RefusalsAreRejectedWithTheirReason) {
  ASSERT_EQ(sink.deliver(message("ticket.created", sample("ticket.created"))).kind,
            Kind::kDelivered);
  // new → done is not in the model.
  auto r = sink.deliver(message("ticket.updated", updated_body("<c:status>done</c:status>")));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("cannot move from 'new' to 'done'"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("allowed: in_progress, clarification, rejected, cancelled"),
            std::string::npos)
      << r.reason;
  r = sink.deliver(message("ticket.updated", updated_body("<c:status>archived</c:status>")));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("unknown status 'archived'"), std::string::npos) << r.reason;
  r = sink.deliver(message("ticket.updated", updated_body("<c:author>x</c:author>")));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("no status, comment, assignee or attachment"), std::string::npos);

  Envelope wrong = message("ticket.created", sample("ticket.created"));
  wrong.type = "payment.received";
  r = sink.deliver(wrong);
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("not 'payment.received'"), std::string::npos) << r.reason;

  Envelope broken = wrong;
  broken.type = "ticket.created";
  broken.body = "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>";
  r = sink.deliver(broken);
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("message " + broken.id), std::string::npos) << r.reason;

  broken.body =
      "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>gis</c:channel>"
      "<c:topic>x</c:topic></c:ticketCreated>";
  r = sink.deliver(broken);
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("/c:ticketCreated/c:text is required"), std::string::npos) << r.reason;

  // Nothing of that changed the ticket.
  const auto t = f.store->get(*f.store->find_by_channel_id("phone", "DSP-2026-004512"));
  EXPECT_EQ(t->status, "new");
  EXPECT_EQ(t->events.size(), 3u);
}

TEST_F(TicketSinkTest, UpdateBeforeItsTicketIsRetried) {
  const auto r = sink.deliver(message("ticket.updated", sample("ticket.updated")));
  EXPECT_EQ(r.kind, Kind::kRetry);
  EXPECT_NE(r.reason.find("phone:DSP-2026-004512"), std::string::npos) << r.reason;
}

TEST_F(TicketSinkTest, DatabaseOutageIsRetried) {
  store::Pool dead("host=127.0.0.1 port=1 connect_timeout=1", 1);
  TicketSink offline(std::make_shared<TicketStore>(dead, f.model));
  const auto r = offline.deliver(message("ticket.created", sample("ticket.created")));
  EXPECT_EQ(r.kind, Kind::kRetry) << r.reason;
}

// The whole path: Ingress validates and journals, a route sends ticket.* to ticket_store, the
// dispatcher delivers; a refused transition ends as a dead letter carrying the model's reason.
TEST(TicketStoreTarget, ThroughIngressRouterAndDispatcher) {
  TicketFixture f;
  auto config = std::make_shared<router::RoutingConfig>(router::parse_routing_config(
      "routes:\n  - name: tickets\n    match: {type: [ticket.created, ticket.updated]}\n"
      "    to: [ticket_store]\n",
      "ticket-routes.yaml"));
  router::RouterHolder holder;
  holder.set(std::make_shared<router::Router>(
      config, std::make_shared<xml::StylesheetCache>(testing::source_dir() / "mappings"), 1));
  auto pool = f.db.make_pool(6);
  ingress::Ingress ingress(*pool, schemas(), holder);
  auto sinks = std::make_shared<dispatcher::SinkRegistry>();
  sinks->add("ticket_store", std::make_shared<TicketSink>(f.store));
  dispatcher::DispatcherOptions o;
  o.node_id = "tickets-e2e";
  o.defaults.poll_interval = 100ms;
  o.defaults.backoff_base = 50ms;
  o.defaults.backoff_max = 200ms;
  dispatcher::Dispatcher d(*pool, sinks, o);
  d.start();

  auto envelope = [](const std::string& type, const std::string& key, const std::string& body) {
    Envelope e;
    e.type = type;
    e.source = "dispatch-app";
    e.idempotency_key = key;
    e.body = body;
    return e;
  };
  // The update is submitted first: it waits (retry) until its ticket exists.
  ASSERT_EQ(ingress
                .submit({envelope("ticket.updated", "upd-1", sample("ticket.updated")),
                         envelope("ticket.created", "new-1", sample("ticket.created"))})
                .accepted,
            2u);
  ASSERT_EQ(ingress
                .submit({envelope("ticket.updated", "upd-2",
                                  updated_body("<c:status>closed</c:status>"))})
                .accepted,
            1u);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         f.db.scalar("SELECT count(*) FROM hub.delivery WHERE state IN ('delivered', 'dead')") !=
             "3") {
    std::this_thread::sleep_for(50ms);
  }
  d.stop();
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.delivery WHERE state = 'delivered'"), "2");
  const auto error = f.db.scalar(
      "SELECT last_error FROM hub.dead_letter dl JOIN hub.message m ON m.id = dl.message_id "
      "WHERE m.idempotency_key = 'upd-2'");
  // in_progress → closed is refused (the sample update moved it to in_progress first, or it is
  // still new if the refusal came first: either way the reason lists what is allowed).
  EXPECT_NE(error.find("to 'closed'"), std::string::npos) << error;
  EXPECT_NE(error.find("allowed:"), std::string::npos) << error;
  const auto t = f.store->get(*f.store->find_by_channel_id("phone", "DSP-2026-004512"));
  EXPECT_EQ(t->status, "in_progress");
}

}  // namespace
}  // namespace hub::tickets

namespace hub::tickets {
namespace {

// Bad input gets a result, never a crash or an exception, and never stops the next message:
// prefixes of both samples (every 7th length), broken and incomplete documents alike.
TEST(TicketSinkRobustness, EveryTruncationOfTheSamplesGetsAResult) {
  TicketFixture f;
  TicketSink sink(f.store);
  int delivered = 0, rejected = 0, retried = 0;
  for (const auto* type : {"ticket.created", "ticket.updated"}) {
    const auto body = sample(type);
    for (std::size_t n = 0; n < body.size(); n += 7) {
      Envelope e;
      e.id = new_uuid_v7();
      e.type = type;
      e.source = "fuzz";
      e.body = body.substr(0, n);
      const auto r = sink.deliver(e);
      delivered += r.kind == Kind::kDelivered;
      rejected += r.kind == Kind::kRejected;
      retried += r.kind == Kind::kRetry;
      if (r.kind != Kind::kDelivered) {
        EXPECT_FALSE(r.reason.empty());
      }
    }
  }
  EXPECT_GT(rejected, 100);
  EXPECT_LE(delivered, 2);  // only a prefix that happens to end after the root's end tag
  // The whole samples still go through afterwards.
  EXPECT_EQ(sink.deliver(message("ticket.created", sample("ticket.created"))).kind,
            Kind::kDelivered);
  EXPECT_EQ(sink.deliver(message("ticket.updated", sample("ticket.updated"))).kind,
            Kind::kDelivered);
}

}  // namespace
}  // namespace hub::tickets
