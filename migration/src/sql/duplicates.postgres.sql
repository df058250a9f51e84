CREATE TABLE contact_keys (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    PRIMARY KEY (contact_id, key)
);
-- split
CREATE INDEX idx_contact_keys_key ON contact_keys(key);
-- split
CREATE TABLE duplicate_pairs (
    id BIGSERIAL PRIMARY KEY,
    a_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    b_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    score REAL NOT NULL,
    match_fields TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'reviewed', 'merged', 'ignored')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (a_id < b_id),
    UNIQUE (a_id, b_id)
);
-- split
CREATE INDEX idx_duplicate_pairs_status ON duplicate_pairs(status, score);
-- split
CREATE INDEX idx_duplicate_pairs_b ON duplicate_pairs(b_id)
