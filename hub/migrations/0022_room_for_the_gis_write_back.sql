-- The tables of the objects a GIS ZhKH placement exports leave room on each page for the GUID
-- write-back, so that it is a HOT update: the new version of a row stays on the row's page and
-- no index takes an entry.
--
-- The write-back (billing_store.cpp, apply_external_results) sets only link columns, none of
-- which is indexed (migration 0021), so each of its updates could be HOT, but a page filled to
-- 100% has no room for the new versions: every one went to another page and took an entry in
-- each of the table's indexes (seven on billing.account). An export writes every row of a page
-- back in the same statement (it reads and sends the objects in id order, 100 per request), so a
-- page needs room for a new version of each of its rows, a little longer than the old one (the
-- GUID and the time: ~45 bytes): fillfactor 45. Measured on 300,000 accounts of bench_gis_export's
-- shape (~180 bytes a row), 100 per statement: at fillfactor 100, 10% of the updates were HOT,
-- 2.4-2.8 ms and 990 bytes of WAL per 100; at 50, 89% HOT, 1.7 ms; at 45, all HOT, 1.5 ms and
-- 408 bytes of WAL per 100. In bench_gis_export the write-back statement went from 5.1-7.0 to
-- 2.1-2.6 ms.
--
-- The price is space: the heap of these tables is ~1/0.45 as large while they are new. After the
-- export a table at fillfactor 100 has grown too (its rows' new versions went to new pages), so
-- the difference after the first placement is ~1.65x (15,000 against 9,100 pages for those
-- 300,000 accounts). Payments are not here: registry imports write them in bulk at close to COPY
-- speed (bench_registry_import), which twice the pages would slow, and they are many more rows.
--
-- The setting applies to pages written from now on: existing rows move to roomier pages when a
-- VACUUM FULL or CLUSTER rewrites the table, which takes a lock an operator schedules.
ALTER TABLE billing.house SET (fillfactor = 45);
ALTER TABLE billing.premise SET (fillfactor = 45);
ALTER TABLE billing.account SET (fillfactor = 45);
ALTER TABLE billing.meter SET (fillfactor = 45);
ALTER TABLE billing.payment_document SET (fillfactor = 45);
