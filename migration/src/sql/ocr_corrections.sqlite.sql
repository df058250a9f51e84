CREATE TABLE ocr_corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id INTEGER REFERENCES card_scans(id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    field TEXT NOT NULL,
    read_value TEXT NOT NULL,
    saved_value TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- split
CREATE INDEX idx_ocr_corrections_field ON ocr_corrections(field, id);
-- split
CREATE INDEX idx_ocr_corrections_scan ON ocr_corrections(scan_id);
-- split
ALTER TABLE card_scans ADD COLUMN side TEXT NOT NULL DEFAULT 'front';
-- split
CREATE INDEX idx_card_scans_contact ON card_scans(contact_id);
