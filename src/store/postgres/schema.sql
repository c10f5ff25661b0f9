-- facet's PostgreSQL store, schema version 3 (the logical schema of docs/store_format.md, the
-- same tables and meaning of blobs as the SQLite store). Created by `facet init --store
-- postgresql://...` in one transaction, in the connection's current schema (search_path).
-- A later version adds migrations/NNNN.sql (from version NNNN-1 to NNNN), applied in order on
-- open; meta.pg_schema_version says which one a database has.
CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE galleries(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  purpose text NOT NULL,
  use text NOT NULL CHECK (use IN ('identify', 'verify')),
  model text NOT NULL,
  model_version text NOT NULL,
  dimensions integer NOT NULL,
  fmr double precision NOT NULL,
  threshold double precision NOT NULL,
  threshold_fmr_1e3 double precision NOT NULL,
  threshold_fmr_1e4 double precision NOT NULL,
  keep_photos boolean NOT NULL,
  created_ms bigint NOT NULL,
  generation bigint NOT NULL DEFAULT 0,
  sealed_profile bytea,
  requested_model text NOT NULL DEFAULT '',
  mac bytea);
CREATE TABLE persons(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gallery_id bigint NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  person_id text NOT NULL,
  uid text NOT NULL UNIQUE,
  sealed_profile bytea NOT NULL,
  wrapped_key bytea,
  created_ms bigint NOT NULL,
  mac bytea,
  UNIQUE(gallery_id, person_id));
-- Identity columns never reuse a number: consent and face ids stay unique for ever (audit
-- entries refer to them), as SQLite's AUTOINCREMENT and consent_id_last give.
CREATE TABLE consents(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id bigint NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  granted_by text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('verify', 'identify')),
  purpose text NOT NULL,
  evidence text NOT NULL,
  granted_ms bigint NOT NULL,
  expires_ms bigint,
  revoked_ms bigint,
  sealed_details bytea,
  mac bytea);
CREATE INDEX consents_person ON consents(person_id);
CREATE INDEX consents_expiry ON consents(expires_ms) WHERE expires_ms IS NOT NULL;
CREATE TABLE faces(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id bigint NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  gallery_id bigint NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  sealed_template bytea NOT NULL,
  quality text NOT NULL,
  source_sha256 text NOT NULL,
  created_ms bigint NOT NULL,
  sealed_photo bytea,
  sealed_user_data bytea,
  sealed_source bytea,
  mac bytea);
CREATE INDEX faces_person ON faces(person_id);
CREATE INDEX faces_gallery ON faces(gallery_id, id);
CREATE TABLE audit(
  seq bigint PRIMARY KEY,
  time_ms bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  gallery text NOT NULL,
  purpose text NOT NULL,
  subjects text NOT NULL,
  details text NOT NULL,
  previous_hash bytea NOT NULL,
  hash bytea NOT NULL);
-- The change log: one row per committed write that changed a gallery, numbered without gaps in
-- commit order (every write transaction first locks change_head, so writers are serialised as
-- SQLite's BEGIN IMMEDIATE serialises them), each row hash-chained to the one before. Nodes
-- holding in-memory indexes follow it (docs/cluster.md).
CREATE TABLE change_head(
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq bigint NOT NULL,
  hash bytea NOT NULL);
INSERT INTO change_head(seq, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE changes(
  seq bigint PRIMARY KEY,
  time_ms bigint NOT NULL,
  payload text NOT NULL,
  previous_hash bytea NOT NULL,
  hash bytea NOT NULL);
CREATE FUNCTION facet_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the % log is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  FOR EACH ROW EXECUTE FUNCTION facet_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION facet_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION facet_append_only();
CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
  FOR EACH ROW EXECUTE FUNCTION facet_append_only();
CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
  FOR EACH ROW EXECUTE FUNCTION facet_append_only();
INSERT INTO meta(key, value) VALUES ('application_id', 'FCET'), ('pg_schema_version', '3');
