-- (key, contact_id): the per-key capped lookups of check-on-create read the index only.
CREATE INDEX idx_contact_keys_key_contact ON contact_keys(key, contact_id);
-- split
DROP INDEX IF EXISTS idx_contact_keys_key
