CREATE TABLE integration_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE TABLE integration_link_codes (
    id BIGSERIAL PRIMARY KEY,
    code_sha256 TEXT NOT NULL UNIQUE,
    integration TEXT NOT NULL CHECK (integration IN ('telegram', 'whatsapp')),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    external_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
-- split
CREATE INDEX idx_integration_link_codes_user ON integration_link_codes(user_id, integration);
-- split
CREATE TABLE integration_accounts (
    id BIGSERIAL PRIMARY KEY,
    integration TEXT NOT NULL CHECK (integration IN ('telegram', 'whatsapp')),
    external_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (integration, external_id)
);
-- split
CREATE INDEX idx_integration_accounts_user ON integration_accounts(user_id);
-- split
CREATE TABLE bot_updates (
    id BIGSERIAL PRIMARY KEY,
    integration TEXT NOT NULL CHECK (integration IN ('telegram', 'whatsapp')),
    external_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    scan_id BIGINT REFERENCES card_scans(id) ON DELETE SET NULL,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    outcome TEXT,
    reply_text TEXT,
    replied_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (integration, external_id)
);
-- split
CREATE INDEX idx_bot_updates_due ON bot_updates(status, next_attempt_at);
