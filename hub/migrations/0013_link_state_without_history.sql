-- A change confined to the columns that record an object's link with GIS ZhKH is not a new
-- version of the object: it writes no billing.history row and leaves updated_at (the version's
-- start) as it is. Any change of another column writes history as before, also when it comes
-- together with a link change (the history row then holds the whole previous row, link columns
-- included).
--
-- The link columns of a table are those GIS answers set through external.state (kExternalTargets
-- in hub/src/billing/billing_store.cpp): the object's GIS GUID and GIS number, and the last GIS
-- error with its time (ext_error_code, ext_error_text, ext_state_at); billing.link_state_mask()
-- lists them per table. They are GIS's bookkeeping about the object, not the object's data, and
-- their past is kept elsewhere: every GIS request and answer in hub.exchange_log, each answer's
-- per-object results in billing.external_state. Writing a history version for each of them cost
-- the GUID write-back of a GIS export about half of its time (to_jsonb of the whole previous row
-- and an INSERT with its index entries per account: ~22 of ~47 ms per 1,000 accounts).
--
-- The row trigger compares the rows with the link columns (and updated_at) masked out by
-- jsonb_populate_record(row, mask), ~2 us a row, whoever wrote them: a statement cannot skip
-- history for data by declaring itself a link update. It stamps updated_at when the data changed
-- and otherwise keeps it, even against the statement; the statement trigger then knows a changed
-- row by its updated_at and compares only rows stamped earlier in the same transaction. Tables
-- without link columns compare whole rows, as before.
--
-- Migration order: 0018 creates the triggers that call these two functions and used to define
-- them; they are defined here now. On a new database this runs before 0018 (which then only
-- creates the triggers); on one that has run 0018, the migration runner applies this missing
-- number afterwards (by set, hub/src/store/migrations.cpp) and it replaces the functions' bodies.

CREATE OR REPLACE FUNCTION billing.link_state_mask(table_name text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE table_name
    WHEN 'house' THEN '{"gis_house_guid": null, "gis_unique_number": null}'::jsonb
    WHEN 'premise' THEN '{"gis_premises_guid": null, "gis_unique_number": null}'::jsonb
    WHEN 'account' THEN '{"gis_account_guid": null}'::jsonb
    WHEN 'meter' THEN '{"gis_root_guid": null, "gis_number": null}'::jsonb
    WHEN 'payment_document' THEN '{"gis_payment_document_guid": null, "ipd": null}'::jsonb
    WHEN 'payment_cancellation' THEN '{"gis_cancellation_guid": null}'::jsonb
    WHEN 'payment' THEN '{"gis_notification_guid": null}'::jsonb
  END || '{"ext_error_code": null, "ext_error_text": null, "ext_state_at": null,'
         ' "updated_at": null}'::jsonb
$$;

-- BEFORE UPDATE FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*): a new version begins when the
-- data changed.
CREATE OR REPLACE FUNCTION billing.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  mask jsonb := billing.link_state_mask(TG_TABLE_NAME);
BEGIN
  IF mask IS NULL
     OR jsonb_populate_record(OLD, mask) IS DISTINCT FROM jsonb_populate_record(NEW, mask) THEN
    NEW.updated_at := now();
  ELSE
    NEW.updated_at := OLD.updated_at;  -- the same version, whatever the statement set
  END IF;
  RETURN NEW;
END $$;

-- AFTER UPDATE FOR EACH STATEMENT with transition tables o (old) and n (new): one history row per
-- row whose data the statement changed, holding its previous version. plpgsql plans its
-- statements per trigger relation, so `o` and `n` are that table's; `id` is never updated, so it
-- pairs the two versions.
CREATE OR REPLACE FUNCTION billing.keep_history_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  mask jsonb := billing.link_state_mask(TG_TABLE_NAME);
BEGIN
  IF mask IS NULL THEN
    INSERT INTO billing.history (table_name, object_id, valid_from, valid_to, message_id, row)
    SELECT TG_TABLE_NAME, o.id, o.updated_at, now(), o.message_id, to_jsonb(o)
      FROM o JOIN n ON n.id = o.id
     WHERE o IS DISTINCT FROM n
     ORDER BY o.id;
  ELSE
    INSERT INTO billing.history (table_name, object_id, valid_from, valid_to, message_id, row)
    SELECT TG_TABLE_NAME, o.id, o.updated_at, now(), o.message_id, to_jsonb(o)
      FROM o JOIN n ON n.id = o.id
     WHERE o IS DISTINCT FROM n
       -- touch_updated_at (BEFORE ROW, run for every row that differs) moved updated_at to now()
       -- exactly when the data changed: a row whose updated_at moved changed its data. Only a
       -- row already stamped now() (changed before in this transaction) needs the comparison.
       AND (o.updated_at IS DISTINCT FROM n.updated_at
            OR (n.updated_at = now()
                AND jsonb_populate_record(o, mask) IS DISTINCT FROM jsonb_populate_record(n, mask)))
     ORDER BY o.id;
  END IF;
  RETURN NULL;
END $$;
