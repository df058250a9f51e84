DROP TABLE IF EXISTS duplicate_scans;
-- split
DROP INDEX IF EXISTS idx_contacts_merged_into;
-- split
DROP TABLE IF EXISTS contact_merges
