-- The search vocabulary under its deletion keys (see migration/src/search_words.rs).
CREATE TABLE search_words (
    key TEXT COLLATE "C" NOT NULL,
    word TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (key, word)
);
