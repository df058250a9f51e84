DROP INDEX IF EXISTS idx_card_scans_contact;
-- split
ALTER TABLE card_scans DROP COLUMN IF EXISTS side;
-- split
DROP TABLE IF EXISTS ocr_corrections;
