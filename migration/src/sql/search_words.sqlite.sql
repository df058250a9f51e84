-- The search vocabulary under its deletion keys (see migration/src/search_words.rs).
CREATE TABLE search_words (
    key TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (key, word)
) WITHOUT ROWID;
