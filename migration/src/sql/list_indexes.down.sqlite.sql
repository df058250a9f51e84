DROP INDEX IF EXISTS idx_contacts_list_updated;
-- split
DROP INDEX IF EXISTS idx_contacts_list_name;
-- split
DROP INDEX IF EXISTS idx_contacts_list_company;
-- split
DROP INDEX IF EXISTS idx_contacts_list_created;
-- split
CREATE INDEX idx_contacts_live_updated ON contacts(deleted_at, updated_at);
-- split
CREATE INDEX idx_contacts_live_name ON contacts(deleted_at, full_name COLLATE NOCASE);
-- split
CREATE INDEX idx_contacts_live_company ON contacts(deleted_at, company COLLATE NOCASE);
-- split
CREATE INDEX idx_contacts_live_created ON contacts(deleted_at, created_at)
