-- Schema version 1 to 2: row MACs and the sealed consent details and face sources (filled by
-- the gallery layer, which holds the keys, when it first opens the store: docs/store_format.md).
ALTER TABLE galleries ADD COLUMN mac bytea;
ALTER TABLE persons ADD COLUMN mac bytea;
ALTER TABLE consents ADD COLUMN sealed_details bytea;
ALTER TABLE consents ADD COLUMN mac bytea;
ALTER TABLE faces ADD COLUMN sealed_source bytea;
ALTER TABLE faces ADD COLUMN mac bytea;
