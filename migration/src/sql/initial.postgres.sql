CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- split
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT FALSE,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ
);
-- split
CREATE UNIQUE INDEX idx_users_username ON users(lower(username));
-- split
CREATE UNIQUE INDEX idx_users_email ON users(lower(email));
-- split
CREATE TABLE refresh_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens(family);
-- split
CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    sequence_number BIGINT NOT NULL,
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
    search_tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    version INTEGER NOT NULL DEFAULT 1,
    owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    merged_into_id BIGINT REFERENCES contacts(id)
);
-- split
CREATE INDEX idx_contacts_live_updated ON contacts(updated_at) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_live_name ON contacts(lower(full_name)) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_live_company ON contacts(lower(company)) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_live_created ON contacts(created_at) WHERE deleted_at IS NULL;
-- split
CREATE INDEX idx_contacts_search_trgm ON contacts USING GIN (search_text gin_trgm_ops);
-- split
CREATE INDEX idx_contacts_search_tsv ON contacts USING GIN (search_tsv);
-- split
CREATE TABLE contact_phones (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
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
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
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
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE UNIQUE INDEX idx_tags_name ON tags(lower(name));
-- split
CREATE TABLE contact_tags (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
-- split
CREATE INDEX idx_contact_tags_tag ON contact_tags(tag_id);
-- split
CREATE TABLE contact_groups (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE UNIQUE INDEX idx_contact_groups_name ON contact_groups(lower(name));
-- split
CREATE TABLE contact_group_members (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, group_id)
);
-- split
CREATE INDEX idx_contact_group_members_group ON contact_group_members(group_id);
-- split
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    contact_id BIGINT,
    entity TEXT NOT NULL,
    action TEXT NOT NULL,
    diff TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE INDEX idx_audit_log_contact ON audit_log(contact_id, id);
-- split
CREATE INDEX idx_audit_log_user ON audit_log(user_id, id);
-- split
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE TABLE user_prefs (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
)
