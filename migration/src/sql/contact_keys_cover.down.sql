CREATE INDEX idx_contact_keys_key ON contact_keys(key);
-- split
DROP INDEX IF EXISTS idx_contact_keys_key_contact
