DROP TABLE IF EXISTS search_words;
