DROP TABLE IF EXISTS bot_updates;
-- split
DROP TABLE IF EXISTS integration_accounts;
-- split
DROP TABLE IF EXISTS integration_link_codes;
-- split
DROP TABLE IF EXISTS integration_settings;
