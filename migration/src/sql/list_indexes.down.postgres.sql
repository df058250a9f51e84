DROP INDEX IF EXISTS idx_contacts_list_updated;
-- split
DROP INDEX IF EXISTS idx_contacts_list_name;
-- split
DROP INDEX IF EXISTS idx_contacts_list_company;
-- split
DROP INDEX IF EXISTS idx_contacts_list_created;
-- split
CREATE INDEX idx_contacts_live_updated ON contacts(updated_at) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_live_name ON contacts(lower(full_name)) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_live_company ON contacts(lower(company)) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_live_created ON contacts(created_at) WHERE deleted_at IS NULL
