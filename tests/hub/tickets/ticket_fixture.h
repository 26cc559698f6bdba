#pragma once
// A fresh migrated database with a TicketStore over the shipped default model
// (deploy/tickets.yaml) and a clock the test moves by hand.

#include <atomic>
#include <chrono>
#include <memory>

#include "hub/tickets/ticket_model.h"
#include "hub/tickets/ticket_store.h"
#include "hub/xml/envelope_xml.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::tickets::testsupport {

class TicketFixture {
 public:
  TicketFixture()
      : pool(db.make_pool(4)),
        model(std::make_shared<TicketModel>(
            TicketModel::load(testing::source_dir() / "deploy/tickets.yaml"))),
        store(std::make_shared<TicketStore>(*pool, model, [this] { return now(); })) {}

  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms.load()));
  }
  void set_now(const std::string& iso) {
    now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                 xml::parse_timestamp(iso).time_since_epoch())
                 .count();
  }
  void advance(std::chrono::minutes m) { now_ms += m.count() * 60 * 1000; }

  NewTicket phone_ticket(const std::string& topic, const std::string& external_id = "") const {
    NewTicket t;
    t.channel = "phone";
    t.topic = topic;
    t.text = "Течёт стояк горячей воды в ванной, кв. 12А";
    t.account = "100234";
    t.house = "house-1";
    t.external_id = external_id;
    t.actor = "call-centre";
    return t;
  }

  testing::TestDatabase db;
  std::unique_ptr<store::Pool> pool;
  std::shared_ptr<const TicketModel> model;
  // Monday 2026-12-07 10:00 Moscow: a working day, inside working hours.
  std::atomic<long long> now_ms{std::chrono::duration_cast<std::chrono::milliseconds>(
                                    xml::parse_timestamp("2026-12-07T07:00:00Z").time_since_epoch())
                                    .count()};
  std::shared_ptr<TicketStore> store;
};

}  // namespace hub::tickets::testsupport
