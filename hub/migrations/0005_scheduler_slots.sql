-- Scheduler: at most one row per scheduled slot of a job, whichever node handled it. Nodes race
-- for a slot with INSERT ... ON CONFLICT DO NOTHING, so a slot a node fired late (clock skew, a
-- fast job already finished elsewhere) is never run twice; a slot skipped because the previous
-- run was still going holds a 'skipped' row. Manual runs have no slot.
CREATE UNIQUE INDEX IF NOT EXISTS schedule_run_slot
  ON hub.schedule_run (job, scheduled_for) WHERE trigger <> 'manual';
-- The job's own summary of a successful run (counts); failures keep using `error`.
ALTER TABLE hub.schedule_run ADD COLUMN IF NOT EXISTS summary text;
-- Who asked for a manual run (API token name, CLI user); NULL for cron and misfire runs.
ALTER TABLE hub.schedule_run ADD COLUMN IF NOT EXISTS triggered_by text;
