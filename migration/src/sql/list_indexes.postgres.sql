-- The contact list filters on deleted_at IS NULL AND merged_into_id IS NULL: partial indexes with
-- exactly that predicate, on the sort expressions the list uses.
DROP INDEX IF EXISTS idx_contacts_live_updated;
-- split
DROP INDEX IF EXISTS idx_contacts_live_name;
-- split
DROP INDEX IF EXISTS idx_contacts_live_company;
-- split
DROP INDEX IF EXISTS idx_contacts_live_created;
-- split
CREATE INDEX idx_contacts_list_updated ON contacts(updated_at, id) WHERE deleted_at IS NULL AND merged_into_id IS NULL;
-- split
CREATE INDEX idx_contacts_list_name ON contacts(lower(full_name), id) WHERE deleted_at IS NULL AND merged_into_id IS NULL;
-- split
CREATE INDEX idx_contacts_list_company ON contacts(lower(company), id) WHERE deleted_at IS NULL AND merged_into_id IS NULL;
-- split
CREATE INDEX idx_contacts_list_created ON contacts(created_at, id) WHERE deleted_at IS NULL AND merged_into_id IS NULL
