-- Schema version 2 to 3: row MACs and the sealed consent details and face sources (filled by
-- the gallery layer, which holds the keys, when it first opens the store: docs/store_format.md).
-- Runs in one transaction that then sets meta.pg_schema_version to 3.
ALTER TABLE galleries ADD COLUMN mac bytea;
ALTER TABLE persons ADD COLUMN mac bytea;
ALTER TABLE consents ADD COLUMN sealed_details bytea;
ALTER TABLE consents ADD COLUMN mac bytea;
ALTER TABLE faces ADD COLUMN sealed_source bytea;
ALTER TABLE faces ADD COLUMN mac bytea;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
