// billing.history as the statement-level triggers (migrations 0018, 0013, 0020) write it: one row per
// object whose data a statement changed, holding its previous version, and none for objects it
// left as they were — the contract keep_history() kept row by row before — nor for a change
// confined to the GIS link-state columns (GIS GUID and number, ext_error_*, ext_state_at).

#include <gtest/gtest.h>

#include "billing_fixture.h"

namespace hub::billing::testing {
namespace {

class HistoryTest : public BillingTest {
 protected:
  void SetUp() override {
    db.exec(
        "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, residents,"
        " message_id, updated_at)"
        " SELECT 'A' || g, 'A' || g, 'house-1', g::text, g % 5,"
        " ('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid,"
        " '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute'"
        " FROM generate_series(1, 300) g");
    // The rows as they were, to compare the history with.
    db.exec(
        "CREATE TABLE public.before AS SELECT id, number, to_jsonb(a) AS row, updated_at,"
        " message_id FROM billing.account a");
  }
};

TEST_F(HistoryTest, OneStatementKeepsThePreviousVersionOfEachRowItChanged) {
  // 200 rows in one statement: the odd ones change, the even ones are set to what they hold.
  db.exec(
      "UPDATE billing.account SET residents = CASE WHEN substr(number, 2)::int % 2 = 1"
      " THEN residents + 10 ELSE residents END WHERE substr(number, 2)::int <= 200");
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 100);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history h JOIN public.before b ON b.id ="
                  " h.object_id WHERE substr(b.number, 2)::int % 2 = 1 AND substr(b.number, 2)::int"
                  " <= 200"),
            100);
  // Each history row: table, id, the previous updated_at as valid_from, the previous message
  // id, the whole previous row; valid_to is when the new version began.
  EXPECT_EQ(count("SELECT count(*) FROM billing.history h JOIN public.before b ON b.id ="
                  " h.object_id JOIN billing.account a ON a.id = h.object_id"
                  " WHERE h.table_name = 'account' AND h.valid_from = b.updated_at"
                  " AND h.message_id IS NOT DISTINCT FROM b.message_id AND h.row = b.row"
                  " AND h.valid_to = a.updated_at AND a.updated_at > b.updated_at"),
            100);
  // The rows left as they were keep their updated_at, and so do those outside the statement.
  EXPECT_EQ(count("SELECT count(*) FROM billing.account a JOIN public.before b ON b.id = a.id"
                  " WHERE a.updated_at = b.updated_at"),
            200);
  EXPECT_EQ(count("SELECT count(DISTINCT object_id) FROM billing.history"), 100);
}

TEST_F(HistoryTest, AStatementThatChangesNothingWritesNoHistory) {
  db.exec("UPDATE billing.account SET residents = residents, number = number");
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM billing.account a JOIN public.before b ON b.id = a.id"
                  " WHERE a.updated_at = b.updated_at"),
            300);
}

TEST_F(HistoryTest, UpsertKeepsHistoryOfTheRowsItUpdatedOnly) {
  // Three existing accounts (one of them sent again as it is) and one new one.
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, residents)"
      " VALUES ('A1', 'A1', 'house-1', '1', 4), ('A2', 'A2', 'house-1', '2', 2),"
      " ('A3', 'A3', 'house-1', '3', 9), ('A999', 'A999', 'house-1', '999', 1)"
      " ON CONFLICT (nkey) DO UPDATE SET residents = EXCLUDED.residents");
  EXPECT_EQ(db.scalar("SELECT string_agg(row->>'number' || '=' || (row->>'residents'), ','"
                      " ORDER BY object_id) FROM billing.history"),
            "A1=1,A3=3");
}

TEST_F(HistoryTest, SuccessiveStatementsEachKeepTheirPreviousVersion) {
  db.exec("UPDATE billing.account SET residents = 7 WHERE number = 'A5'");
  db.exec("UPDATE billing.account SET residents = 8 WHERE number = 'A5'");
  EXPECT_EQ(db.scalar("SELECT string_agg(row->>'residents', ',' ORDER BY id) FROM"
                      " billing.history"),
            "0,7");
  // The second version's history row starts where the first one's ended.
  EXPECT_EQ(count("SELECT count(*) FROM billing.history h1 JOIN billing.history h2 ON"
                  " h2.id > h1.id AND h2.valid_from = h1.valid_to"),
            1);
}

TEST_F(HistoryTest, AChangeOfTheGisLinkStateOnlyIsNoNewVersion) {
  // What a GIS answer writes back: the GUID on some, an error on others.
  db.exec(
      "UPDATE billing.account SET gis_account_guid = md5(number), ext_state_at = now()"
      " WHERE substr(number, 2)::int <= 100");
  db.exec(
      "UPDATE billing.account SET ext_error_code = 'INT002000', ext_error_text = 'нет',"
      " ext_state_at = now() WHERE substr(number, 2)::int BETWEEN 101 AND 150");
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM billing.account a JOIN public.before b ON b.id = a.id"
                  " WHERE a.updated_at = b.updated_at"),
            300);
  EXPECT_EQ(count("SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT NULL"), 100);

  // A data change, alone or together with a link change, is a version: its history row holds
  // the whole previous row, the link state it had then included, and starts where the version
  // began (the link change did not move updated_at).
  db.exec("UPDATE billing.account SET residents = 9 WHERE number = 'A7'");
  db.exec("UPDATE billing.account SET residents = 8, gis_account_guid = 'g' WHERE number = 'A8'");
  db.exec("UPDATE billing.account SET gis_premises_guid = 'p' WHERE number = 'A120'");
  EXPECT_EQ(
      db.scalar("SELECT string_agg(row->>'number' || ' ' || coalesce(row->>'gis_account_guid',"
                " '-') || ' ' || coalesce(row->>'ext_error_code', '-'), ',' ORDER BY"
                " object_id) FROM billing.history"),
      "A7 " + db.scalar("SELECT md5('A7')") + " -,A8 " + db.scalar("SELECT md5('A8')") +
          " -,A120 - INT002000");
  EXPECT_EQ(count("SELECT count(*) FROM billing.history h JOIN public.before b ON b.id ="
                  " h.object_id JOIN billing.account a ON a.id = h.object_id"
                  " WHERE h.valid_from = b.updated_at AND h.valid_to = a.updated_at"
                  " AND a.updated_at > b.updated_at"),
            3);
}

TEST_F(HistoryTest, WithinOneTransactionEachDataChangeIsAVersionAndALinkChangeIsNot) {
  // Rows changed earlier in the same transaction already carry updated_at = now(): the triggers
  // then compare the data itself.
  db.exec(
      "BEGIN;"
      " INSERT INTO billing.account (nkey, number) VALUES ('T1', 'T1');"
      " UPDATE billing.account SET gis_account_guid = 'g1' WHERE number = 'T1';"
      " UPDATE billing.account SET residents = 1 WHERE number IN ('T1', 'A3');"
      " UPDATE billing.account SET residents = 2 WHERE number IN ('T1', 'A3');"
      " UPDATE billing.account SET ext_error_code = 'E', updated_at = '2000-01-01Z'"
      "  WHERE number IN ('T1', 'A3');"
      " COMMIT");
  EXPECT_EQ(db.scalar("SELECT string_agg(row->>'number' || '=' || coalesce(row->>'residents', '-')"
                      " || coalesce(' ' || (row->>'gis_account_guid'), ''), ',' ORDER BY id)"
                      " FROM billing.history"),
            "A3=3,T1=- g1,A3=1,T1=1 g1");
  // The link change kept the version's start, whatever the statement set.
  EXPECT_EQ(count("SELECT count(*) FROM billing.account WHERE number IN ('T1', 'A3')"
                  " AND updated_at > '2026-06-01Z'"),
            2);
}

TEST_F(HistoryTest, EveryTableGisAnswersWriteToKeepsOnlyDataVersions) {
  // The tables external.state results land on (kExternalTargets in billing_store.cpp), each with
  // its link columns and a data column.
  struct Case {
    const char* table;
    const char* insert;  // columns and values of one row
    const char* link;    // SET of link columns only
    const char* data;    // SET of a data column
  };
  const Case cases[] = {
      {"house", "(nkey, fias_guid) VALUES ('h', 'h')",
       "gis_house_guid = 'g', gis_unique_number = 'u'", "address = 'a'"},
      {"premise", "(nkey, house_fias_guid, number) VALUES ('p', 'h', '1')",
       "gis_premises_guid = 'g', gis_unique_number = 'u'", "floor = 3"},
      {"account", "(nkey, number) VALUES ('acc', 'acc')", "gis_account_guid = 'g'",
       "residents = 3"},
      {"meter", "(nkey, meter_id) VALUES ('m', 'm')", "gis_root_guid = 'g', gis_number = 'n'",
       "serial_number = 's'"},
      {"payment_document", "(nkey, document_number, account) VALUES ('d', 'd', 'acc')",
       "gis_payment_document_guid = 'g', ipd = 'i'", "period = '2026-11'"},
      {"payment_cancellation",
       "(nkey, ref, agent_code, registry_ref, payment_ref, cancelled_on)"
       " VALUES ('c', 'c', 'a', 'r', 'p', '2026-11-01')",
       "gis_cancellation_guid = 'g'", "reason = 'r'"},
      {"payment",
       "(nkey, payment_ref, amount_kopecks, agent_code) VALUES ('pay', 'tx:1', 100, 'a')",
       "gis_notification_guid = 'g'", "payer_name = 'n'"},
  };
  for (const auto& c : cases) {
    const std::string t = c.table;
    // The fixture's accounts stay out of it.
    const std::string row =
        " WHERE nkey = (SELECT max(nkey) FROM billing." + t + " WHERE nkey" + " !~ '^A[0-9]+$')";
    db.exec("INSERT INTO billing." + t + " " + c.insert);
    // A version that began on a known day (the triggers would keep an updated_at set alone).
    db.exec("ALTER TABLE billing." + t + " DISABLE TRIGGER USER");
    db.exec("UPDATE billing." + t + " SET updated_at = '2026-01-01Z'" + row);
    db.exec("ALTER TABLE billing." + t + " ENABLE TRIGGER USER");
    db.exec("DELETE FROM billing.history");
    const std::string errors = ", ext_error_code = 'E', ext_error_text = 'e', ext_state_at = now()";
    db.exec("UPDATE billing." + t + " SET " + c.link + errors + row);
    EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0) << t;
    EXPECT_EQ(db.scalar("SELECT updated_at = '2026-01-01Z' FROM billing." + t + row), "t") << t;
    db.exec("UPDATE billing." + t + " SET " + c.data + row);
    EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = '" + t +
                    "' AND valid_from = '2026-01-01Z' AND row->>'ext_error_code' = 'E'"),
              1)
        << t;
    EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 1) << t;
    EXPECT_EQ(db.scalar("SELECT updated_at > '2026-01-01Z' FROM billing." + t + row), "t") << t;
  }
}

TEST_F(HistoryTest, TheRowTriggerOfEveryTableWithLinkColumnsWatchesAllItsOtherColumns) {
  // Migration 0020: the BEFORE ROW trigger of a table with GIS link columns fires only when a
  // column it lists changed. A column added later without billing.create_touch_trigger() would
  // change without a new version: every column but the link ones must be in its WHEN.
  EXPECT_EQ(db.scalar("SELECT coalesce(string_agg(c.relname || '.' || a.attname, ','), '')"
                      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                      "  AND NOT a.attisdropped"
                      " JOIN pg_trigger t ON t.tgrelid = c.oid"
                      "  AND t.tgfoid = 'billing.touch_updated_at'::regproc"
                      " WHERE n.nspname = 'billing'"
                      " AND billing.link_state_mask(c.relname) IS NOT NULL"
                      " AND (a.attname = 'updated_at'"
                      "      OR NOT billing.link_state_mask(c.relname) ? a.attname)"
                      " AND pg_get_triggerdef(t.oid) NOT LIKE"
                      "     '%old.' || quote_ident(a.attname) || ' IS DISTINCT FROM new.'"
                      "     || quote_ident(a.attname) || '%'"),
            "");
  // ... and none of the link columns, or a link-only change would call it for every row.
  EXPECT_EQ(db.scalar("SELECT coalesce(string_agg(c.relname || '.' || k, ','), '')"
                      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " JOIN pg_trigger t ON t.tgrelid = c.oid"
                      "  AND t.tgfoid = 'billing.touch_updated_at'::regproc,"
                      " jsonb_object_keys(billing.link_state_mask(c.relname)) k"
                      " WHERE n.nspname = 'billing' AND k <> 'updated_at'"
                      " AND pg_get_triggerdef(t.oid) LIKE '%old.' || k || ' %'"),
            "");
  EXPECT_EQ(count("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                  " WHERE t.tgfoid = 'billing.touch_updated_at'::regproc"
                  " AND billing.link_state_mask(c.relname) IS NOT NULL"),
            7);
}

TEST_F(HistoryTest, EveryBillingTableWithVersionsKeepsHistory) {
  // A table that has updated_at (and so versions) has both halves of the history pair.
  EXPECT_EQ(db.scalar("SELECT coalesce(string_agg(c.relname, ','), '') FROM pg_class c"
                      " JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " WHERE n.nspname = 'billing' AND c.relkind = 'r'"
                      " AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid"
                      "             AND attname = 'updated_at' AND NOT attisdropped)"
                      " AND (NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid"
                      "                  AND t.tgfoid = 'billing.keep_history_rows'::regproc)"
                      "   OR NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid"
                      "                  AND t.tgfoid = 'billing.touch_updated_at'::regproc))"),
            "");
  EXPECT_EQ(count("SELECT count(*) FROM pg_trigger WHERE tgfoid ="
                  " 'billing.keep_history_rows'::regproc"),
            13);
}

}  // namespace
}  // namespace hub::billing::testing
