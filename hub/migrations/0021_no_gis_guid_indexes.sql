-- The GIS GUID columns of houses, premises, accounts and meters lose their indexes: nothing looks
-- an object up by its GIS GUID, and each index cost every GUID write-back an index entry per object.
--
-- The hub matches what GIS sends back by our own keys: a result names its object by TransportGUID
-- and our reference (objectRef: FIAS GUID, account or meter number), exports are matched in the
-- adapter against the page of store objects it asked about, and the placement audit looks for
-- rows *without* a GUID, which a partial index on "GUID IS NOT NULL" never served. The write-back
-- (billing_store.cpp, apply_external_results) sets the GUID, so each index took a new entry per
-- row; on 300,000 accounts exported through the emulator, dropping account_gis_guid took that
-- UPDATE from 43 to 31 microseconds per account and its WAL from 806 to 646 bytes per account.
--
-- A lookup by GIS GUID (support staff with psql) is a sequential scan now; an operator who does
-- that often can create the index again, at that cost per export.
DROP INDEX IF EXISTS billing.house_gis_guid;
DROP INDEX IF EXISTS billing.premise_gis_guid;
DROP INDEX IF EXISTS billing.account_gis_guid;
DROP INDEX IF EXISTS billing.meter_gis_guid;
