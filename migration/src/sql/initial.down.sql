DROP TABLE IF EXISTS user_prefs;
-- split
DROP TABLE IF EXISTS settings;
-- split
DROP TABLE IF EXISTS audit_log;
-- split
DROP TABLE IF EXISTS contact_group_members;
-- split
DROP TABLE IF EXISTS contact_groups;
-- split
DROP TABLE IF EXISTS contact_tags;
-- split
DROP TABLE IF EXISTS tags;
-- split
DROP TABLE IF EXISTS contact_emails;
-- split
DROP TABLE IF EXISTS contact_phones;
-- split
DROP TABLE IF EXISTS contacts_fts;
-- split
DROP TABLE IF EXISTS contacts;
-- split
DROP TABLE IF EXISTS refresh_tokens;
-- split
DROP TABLE IF EXISTS users
