-- PostgreSQL's search reads a narrow copy of each contact's search text: `contact_search` holds
-- only the id, the text and whether the contact is live, in the trash or merged away. The search
-- walks (the newest contacts first, or the trigram index's matches) check rows of this table
-- instead of whole contact rows, so they read fewer pages. Triggers keep it in step with
-- `contacts`, as SQLite's triggers keep `contacts_fts`.
-- `state`: 0 live, 1 in the trash, 2 merged into another contact.
CREATE TABLE contact_search (
    id BIGINT PRIMARY KEY,
    state SMALLINT NOT NULL,
    search_text TEXT NOT NULL
);
-- split
CREATE FUNCTION contact_search_state(deleted_at TIMESTAMPTZ, merged_into_id BIGINT) RETURNS SMALLINT
    LANGUAGE sql IMMUTABLE AS
$$ SELECT (CASE WHEN merged_into_id IS NOT NULL THEN 2 WHEN deleted_at IS NOT NULL THEN 1 ELSE 0 END)::SMALLINT $$;
-- split
CREATE FUNCTION contact_search_sync() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM contact_search WHERE id = OLD.id;
        RETURN NULL;
    END IF;
    INSERT INTO contact_search (id, state, search_text)
        VALUES (NEW.id, contact_search_state(NEW.deleted_at, NEW.merged_into_id), NEW.search_text)
        ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, search_text = EXCLUDED.search_text;
    RETURN NULL;
END
$$;
-- split
CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts
    FOR EACH ROW EXECUTE FUNCTION contact_search_sync();
-- split
CREATE TRIGGER contact_search_update AFTER UPDATE OF search_text, deleted_at, merged_into_id ON contacts
    FOR EACH ROW
    WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id)
    EXECUTE FUNCTION contact_search_sync();
-- split
CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contact_search_sync();
-- split
INSERT INTO contact_search (id, state, search_text)
    SELECT id, contact_search_state(deleted_at, merged_into_id), search_text FROM contacts;
-- split
CREATE INDEX idx_contact_search_trgm ON contact_search USING GIN (search_text gin_trgm_ops);
-- split
-- The search moved to `contact_search`; the contacts' own text indexes only cost writes now. The
-- tsvector column was never searched (the trigram index serves every query).
DROP INDEX IF EXISTS idx_contacts_search_trgm;
-- split
ALTER TABLE contacts DROP COLUMN IF EXISTS search_tsv;
-- split
ANALYZE contact_search
