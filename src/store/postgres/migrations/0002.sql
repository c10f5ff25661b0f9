-- Version 1 -> 2: Azure Face's group name/userData (sealed by the gallery layer), the
-- recognition model name the group's creator asked for, and a face's userData (sealed under the
-- person's data key). Nullable or defaulted columns at the end: version 1's rows read as "none
-- given". Runs in one transaction that then sets meta.pg_schema_version to 2.
ALTER TABLE galleries ADD COLUMN sealed_profile bytea;
ALTER TABLE galleries ADD COLUMN requested_model text NOT NULL DEFAULT '';
ALTER TABLE faces ADD COLUMN sealed_user_data bytea;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
