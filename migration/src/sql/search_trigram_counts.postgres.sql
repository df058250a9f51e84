-- For each trigram of the contacts' search texts (pg_trgm's `show_trgm`, without the trigrams
-- padded at a word's edge): how many contacts held it when the table was last filled. Every
-- contact that contains a word contains each of the word's trigrams, so the smallest count among
-- them bounds the word's matches (give or take the writes since). The row with the empty trigram
-- marks a filled table; its `contacts` is `contact_search`'s write counter at that time, so the
-- upkeep knows how many writes the counts have missed. An empty table gives the search no bounds.
CREATE TABLE search_trigram_counts (
    trigram TEXT PRIMARY KEY,
    contacts BIGINT NOT NULL
)
