-- billing.history is written once per UPDATE statement instead of once per row.
--
-- keep_history() (0006) ran per changed row: a plpgsql call, to_jsonb(OLD) and a one-row INSERT
-- through SPI each time. GIS answers write their GUIDs back 100 accounts per statement, and that
-- row-by-row INSERT was about 40% of such an update's cost (about 20 us of 53 us per row). Now:
--   * a BEFORE ROW trigger, under the same WHEN (OLD.* IS DISTINCT FROM NEW.*), only stamps
--     updated_at (as keep_history did): the AFTER trigger cannot change the row;
--   * an AFTER UPDATE ... FOR EACH STATEMENT trigger with transition tables inserts the previous
--     versions of the rows that changed in one INSERT ... SELECT.
-- The history rows are the same as before: one per row that changed (an identical re-apply writes
-- none, the rows are compared as the WHEN clause compared them), table_name, object_id = id,
-- valid_from = the previous updated_at, valid_to = now(), message_id and row = to_jsonb of the
-- previous version. An INSERT ... ON CONFLICT DO UPDATE fires the statement trigger with the rows
-- it updated, as it fired the row trigger for each.

-- billing.touch_updated_at() and billing.keep_history_rows() are defined in 0013 (which runs
-- before this on a new database): 0013 gave them their final bodies (a change confined to the GIS
-- link-state columns is no new version) after this migration had defined them here, and a
-- database that ran this before gets those bodies when the runner applies 0013 afterwards.
-- touch_updated_at stamps updated_at when the row's data changed; keep_history_rows inserts the
-- previous versions of the rows whose data changed, from the transition tables `o` and `n`.

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['house', 'premise', 'account', 'meter', 'reading', 'payment', 'charge',
                           'payment_document', 'benefit', 'fiscal_receipt', 'edo_document',
                           'external_state', 'payment_cancellation'] LOOP
    EXECUTE format('DROP TRIGGER %I ON billing.%I', t || '_history', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON billing.%I FOR EACH ROW'
                   ' WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.touch_updated_at()',
                   t || '_updated_at', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON billing.%I REFERENCING OLD TABLE AS o'
                   ' NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION billing.keep_history_rows()',
                   t || '_history', t);
  END LOOP;
END $$;

-- billing.keep_history() stays for a migration that still names it; a new table should take the
-- pair above.
