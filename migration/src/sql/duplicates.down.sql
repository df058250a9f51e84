DROP TABLE IF EXISTS duplicate_pairs;
-- split
DROP TABLE IF EXISTS contact_keys
