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

// The binary form reads back the same, NULLs and empty strings included, through a prepared
// statement as Ingress sends it; an empty array is an empty array, not NULL.
TEST(PgBinaryTextArray, PostgresReadsBackEveryElementAsItWasGiven) {
  testing::TestDatabase db;
  const std::vector<std::optional<std::string>> values = {
      "<c:a k=\"1\" v=\"x\\y\">{,}</c:a>",
      std::nullopt,
      "",
      "NULL",
      std::string(300000, 'x') + "\"" + std::string(3, '\\') + "tail",
      "Иванова \"Мария\" \\ {NULL}",
  };
  pqxx::connection c(db.conninfo());
  c.prepare("read_back",
            "SELECT v, v IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n");
  pqxx::work tx(c);
  PgBinaryTextArray array;
  for (const auto& v : values) array.add_or_null(v);
  const auto rows = tx.exec_prepared("read_back", array.finish());
  ASSERT_EQ(rows.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(rows[i][1].as<bool>(), !values[i].has_value()) << i;
    if (values[i]) EXPECT_EQ(rows[i][0].as<std::string>(), *values[i]) << i;
  }

  // The builder starts over after finish(): the next array holds only what was added since.
  array.add("again");
  const auto again = tx.exec_prepared("read_back", array.finish());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0][0].as<std::string>(), "again");

  c.prepare("count", "SELECT cardinality($1::text[]), $1::text[] IS NULL");
  const auto empty = tx.exec_prepared("count", array.finish());
  EXPECT_EQ(empty[0][0].as<int>(), 0);
  EXPECT_FALSE(empty[0][1].as<bool>());
}

// Text that is not valid UTF-8 is refused by the server, as it is in a literal.
TEST(PgBinaryTextArray, InvalidUtf8IsRefusedByTheServer) {
  testing::TestDatabase db;
  pqxx::connection c(db.conninfo());
  c.prepare("read_back", "SELECT cardinality($1::text[])");
  pqxx::work tx(c);
  PgBinaryTextArray array;
  array.add("ok");
  array.add("\xff\xfe");
  EXPECT_THROW(tx.exec_prepared("read_back", array.finish()), pqxx::data_exception);
}

}  // namespace
}  // namespace hub::store
