CREATE TABLE ocr_corrections (
    id BIGSERIAL PRIMARY KEY,
    scan_id BIGINT REFERENCES card_scans(id) ON DELETE SET NULL,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    field TEXT NOT NULL,
    read_value TEXT NOT NULL,
    saved_value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- split
CREATE INDEX idx_ocr_corrections_field ON ocr_corrections(field, id);
-- split
CREATE INDEX idx_ocr_corrections_scan ON ocr_corrections(scan_id);
-- split
ALTER TABLE card_scans ADD COLUMN side TEXT NOT NULL DEFAULT 'front' CHECK (side IN ('front', 'back'));
-- split
CREATE INDEX idx_card_scans_contact ON card_scans(contact_id);
