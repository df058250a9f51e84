CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT 0,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_login_at TEXT
);
-- split
CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
-- split
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens(family);
-- split
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    sequence_number INTEGER NOT NULL,
    prefix TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    middle_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    full_name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    search_text TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    merged_into_id INTEGER REFERENCES contacts(id)
);
-- split
CREATE INDEX idx_contacts_live_updated ON contacts(deleted_at, updated_at);
-- split
CREATE INDEX idx_contacts_live_name ON contacts(deleted_at, full_name COLLATE NOCASE);
-- split
CREATE INDEX idx_contacts_live_company ON contacts(deleted_at, company COLLATE NOCASE);
-- split
CREATE INDEX idx_contacts_live_created ON contacts(deleted_at, created_at);
-- split
CREATE TABLE contact_phones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    e164 TEXT,
    position INTEGER NOT NULL DEFAULT 0
);
-- split
CREATE INDEX idx_contact_phones_contact ON contact_phones(contact_id);
-- split
CREATE INDEX idx_contact_phones_e164 ON contact_phones(e164);
-- split
CREATE TABLE contact_emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    normalized TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);
-- split
CREATE INDEX idx_contact_emails_contact ON contact_emails(contact_id);
-- split
CREATE INDEX idx_contact_emails_normalized ON contact_emails(normalized);
-- split
CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    color TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- split
CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
-- split
CREATE INDEX idx_contact_tags_tag ON contact_tags(tag_id);
-- split
CREATE TABLE contact_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
-- split
CREATE TABLE contact_group_members (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, group_id)
);
-- split
CREATE INDEX idx_contact_group_members_group ON contact_group_members(group_id);
-- split
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    contact_id INTEGER,
    entity TEXT NOT NULL,
    action TEXT NOT NULL,
    diff TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- split
CREATE INDEX idx_audit_log_contact ON audit_log(contact_id, id);
-- split
CREATE INDEX idx_audit_log_user ON audit_log(user_id, id);
-- split
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- split
CREATE TABLE user_prefs (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
-- split
CREATE VIRTUAL TABLE contacts_fts USING fts5(search_text, content='contacts', content_rowid='id', tokenize='trigram remove_diacritics 1');
-- split
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
-- split
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
-- split
CREATE TRIGGER contacts_fts_au AFTER UPDATE OF search_text ON contacts BEGIN
    INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
