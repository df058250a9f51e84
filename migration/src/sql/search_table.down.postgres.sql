DROP TRIGGER IF EXISTS contact_search_insert ON contacts;
-- split
DROP TRIGGER IF EXISTS contact_search_update ON contacts;
-- split
DROP TRIGGER IF EXISTS contact_search_delete ON contacts;
-- split
DROP FUNCTION IF EXISTS contact_search_sync();
-- split
DROP TABLE IF EXISTS contact_search;
-- split
DROP FUNCTION IF EXISTS contact_search_state(TIMESTAMPTZ, BIGINT);
-- split
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS search_tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
-- split
CREATE INDEX IF NOT EXISTS idx_contacts_search_tsv ON contacts USING GIN (search_tsv);
-- split
CREATE INDEX IF NOT EXISTS idx_contacts_search_trgm ON contacts USING GIN (search_text gin_trgm_ops)
