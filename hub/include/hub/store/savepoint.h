#pragma once
// A savepoint inside an open transaction: pqxx::subtransaction, begun at once.
//
// libpqxx 6.4 issues a subtransaction's SAVEPOINT lazily, on its first exec(), but exec_prepared()
// skips that step: statements prepared and run through a fresh subtransaction then run outside
// any savepoint, and its abort undoes nothing. Beginning in the constructor closes that hole for
// every caller (one round trip, which the lazy path would spend anyway).

#include <pqxx/pqxx>
#include <string>

namespace hub::store {

class Savepoint : public pqxx::subtransaction {
 public:
  /// Sets SAVEPOINT `name` on `parent`. commit() releases it; destruction without commit() (an
  /// exception) rolls back to it, leaving `parent` usable.
  Savepoint(pqxx::dbtransaction& parent, const std::string& name)
      // namedclass is a virtual base: the most derived class names it. The name is used as
      // given, not made unique (libpqxx would number it per connection: every savepoint a new
      // statement text, and a new pg_stat_statements entry); PostgreSQL resolves a repeated
      // savepoint name to the innermost one, which is the one meant.
      : pqxx::internal::namedclass("subtransaction", name), pqxx::subtransaction(parent, name) {
    Begin();
  }
};

}  // namespace hub::store
