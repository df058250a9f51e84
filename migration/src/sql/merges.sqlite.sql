CREATE TABLE contact_merges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    survivor_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    merged_ids TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    survivor_version INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    undone_at TEXT,
    undone_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
-- split
CREATE INDEX idx_contact_merges_survivor ON contact_merges(survivor_id, id);
-- split
CREATE INDEX idx_contacts_merged_into ON contacts(merged_into_id);
-- split
CREATE TABLE duplicate_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    phase TEXT NOT NULL DEFAULT 'queued',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    contacts INTEGER NOT NULL DEFAULT 0,
    keys_backfilled INTEGER NOT NULL DEFAULT 0,
    pairs_found INTEGER NOT NULL DEFAULT 0,
    pairs_new INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
-- split
CREATE INDEX idx_duplicate_scans_status ON duplicate_scans(status, id)
