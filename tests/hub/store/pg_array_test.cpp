#include "hub/store/pg_array.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "test_database.h"

namespace hub::store {
namespace {

TEST(PgArray, QuotesAndBackslashesAreEscapedWhereverTheyStand) {
  EXPECT_EQ(pg_array_literal(std::vector<std::string>{}), "{}");
  EXPECT_EQ(pg_array_literal(std::vector<std::string>{"", "plain"}), R"({"","plain"})");
  EXPECT_EQ(pg_array_literal(std::vector<std::string>{"\"", "\\", "\\\"", "a\"b\\c\"\"d\\\\"}),
            R"({"\"","\\","\\\"","a\"b\\c\"\"d\\\\"})");
  EXPECT_EQ(pg_array_literal(std::vector<std::optional<std::string>>{std::nullopt, "NULL"}),
            R"({NULL,"NULL"})");
}

// What PostgreSQL reads back from the literal is exactly what went in, for bodies with every
// character the literal treats specially, at the ends and in runs.
TEST(PgArray, PostgresReadsBackEveryElementAsItWasGiven) {
  testing::TestDatabase db;
  const std::vector<std::string> values = {
      "<c:a k=\"1\" v=\"x\\y\">{,}</c:a>",
      "\"starts and ends with quotes\"",
      "\\\\\\",
      "\"\"\"\\\"\\",
      std::string(100000, 'x') + "\"" + std::string(3, '\\') + "tail",
      "Иванова \"Мария\" \\ {NULL}",
  };
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  const auto rows =
      tx.exec_params("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
                     pg_array_literal(values));
  ASSERT_EQ(rows.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(rows[i][0].as<std::string>(), values[i]) << i;
}

}  // namespace
}  // namespace hub::store
