-- The contact list filters on deleted_at IS NULL AND merged_into_id IS NULL and sorts by one column.
-- Both filters are equality terms of these indexes, so the sort is read from the index and a deep
-- page walks index entries only (the old (deleted_at, col) indexes made every skipped row a table
-- lookup to test merged_into_id, and `lower(full_name)` matched no index at all).
DROP INDEX IF EXISTS idx_contacts_live_updated;
-- split
DROP INDEX IF EXISTS idx_contacts_live_name;
-- split
DROP INDEX IF EXISTS idx_contacts_live_company;
-- split
DROP INDEX IF EXISTS idx_contacts_live_created;
-- split
CREATE INDEX idx_contacts_list_updated ON contacts(deleted_at, merged_into_id, updated_at);
-- split
CREATE INDEX idx_contacts_list_name ON contacts(deleted_at, merged_into_id, lower(full_name));
-- split
CREATE INDEX idx_contacts_list_company ON contacts(deleted_at, merged_into_id, lower(company));
-- split
CREATE INDEX idx_contacts_list_created ON contacts(deleted_at, merged_into_id, created_at)
