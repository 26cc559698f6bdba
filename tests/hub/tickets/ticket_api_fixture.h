#pragma once
// A real AdminServer on an ephemeral port with the ticket routes added, over a fresh migrated
// database, the shipped default model and tokens for admin, operator and viewer.

#include <memory>

#include "../api/admin_fixture.h"
#include "hub/tickets/ticket_model.h"
#include "hub/tickets/ticket_routes.h"
#include "hub/tickets/ticket_store.h"
#include "test_paths.h"

namespace hub::tickets::testsupport {

class TicketApiFixture {
 public:
  TicketApiFixture() : admin({}, /*bind_all_services=*/true, /*start=*/false) {
    model = std::make_shared<TicketModel>(
        TicketModel::load(testing::source_dir() / "deploy/tickets.yaml"));
    store = std::make_shared<TicketStore>(admin.pool(), model);
    admin.server->add_routes(ticket_routes(store));
    admin.server->start();
  }

  int port() const { return admin.port(); }

  api::testsupport::AdminFixture admin;
  std::shared_ptr<const TicketModel> model;
  std::shared_ptr<TicketStore> store;
};

}  // namespace hub::tickets::testsupport
