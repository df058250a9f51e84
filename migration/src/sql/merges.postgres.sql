CREATE TABLE contact_merges (
    id BIGSERIAL PRIMARY KEY,
    survivor_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    merged_ids TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    survivor_version INTEGER NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ,
    undone_by BIGINT REFERENCES users(id) ON DELETE SET NULL
);
-- split
CREATE INDEX idx_contact_merges_survivor ON contact_merges(survivor_id, id);
-- split
CREATE INDEX idx_contacts_merged_into ON contacts(merged_into_id);
-- split
CREATE TABLE duplicate_scans (
    id BIGSERIAL PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    phase TEXT NOT NULL DEFAULT 'queued',
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    contacts BIGINT NOT NULL DEFAULT 0,
    keys_backfilled BIGINT NOT NULL DEFAULT 0,
    pairs_found BIGINT NOT NULL DEFAULT 0,
    pairs_new BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
-- split
CREATE INDEX idx_duplicate_scans_status ON duplicate_scans(status, id)
