//! The search vocabulary: the distinct words of every contact's search text, each stored under
//! deletion keys (SymSpell, one edit) so that the words one typo away from a query word are found
//! by a few primary-key lookups instead of by scoring contacts.
//!
//! A word is a run of letters and digits (e-mail addresses and web sites split into their parts),
//! 3 to 32 characters long, with a letter and no Cyrillic (Cyrillic text is searched through its
//! transliteration, which the search text also holds). Its keys are its first [`KEY_PREFIX`]
//! characters and every string made by deleting one of them: two words share a key when they
//! differ (within that prefix) by one deleted, inserted or substituted character or two swapped
//! neighbours. The table only grows; a word no contact has any more is harmless (the search that
//! follows the correction finds nothing for it).
//!
//! Kept here, not in the service, because the migration that creates the table fills it too.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};
use std::collections::{BTreeSet, HashSet};

/// How many leading characters of a word its keys are made from (longer words are told apart by
/// the similarity check that follows the lookup).
pub const KEY_PREFIX: usize = 7;
/// At most this many words of one search text are kept.
pub const MAX_WORDS: usize = 64;

/// Whether `s` holds a Cyrillic letter (the Unicode Cyrillic block; the `translit` crate). The
/// service's search text and query words use it too (`service::platform::text::has_cyrillic`).
pub use translit::has_cyrillic;

/// The vocabulary words of a (lower-case) search text, distinct, in order of first appearance.
pub fn words(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        let n = w.chars().count();
        if !(3..=32).contains(&n) || !w.chars().any(char::is_alphabetic) || has_cyrillic(w) {
            continue;
        }
        let w = w.to_lowercase();
        if seen.insert(w.clone()) {
            out.push(w);
            if out.len() == MAX_WORDS {
                break;
            }
        }
    }
    out
}

/// The deletion keys of a word (or of a query word): its first [`KEY_PREFIX`] characters and each
/// string made by deleting one of them, distinct.
pub fn keys(word: &str) -> Vec<String> {
    let prefix: Vec<char> = word.chars().take(KEY_PREFIX).collect();
    let mut out: BTreeSet<String> = BTreeSet::new();
    out.insert(prefix.iter().collect());
    for skip in 0..prefix.len() {
        let k: String = prefix.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| *c).collect();
        if !k.is_empty() {
            out.insert(k);
        }
    }
    out.into_iter().collect()
}

/// The `(key, word)` rows of `search_words` for some search text, sorted: concurrent writers
/// insert shared rows in the same order, so they may wait for each other but never deadlock.
pub fn rows(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in words(text) {
        for k in keys(&w) {
            out.push((k, w.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One multi-row `INSERT … ON CONFLICT DO NOTHING` of `(key, word)` rows into `search_words`.
pub fn insert_statement(backend: DatabaseBackend, rows: &[(String, String)]) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 2);
    let mut tuples = Vec::with_capacity(rows.len());
    for (k, w) in rows {
        values.push(k.clone().into());
        values.push(w.clone().into());
        tuples.push(match backend {
            DatabaseBackend::Postgres => format!("(${}, ${})", values.len() - 1, values.len()),
            _ => "(?, ?)".to_string(),
        });
    }
    let sql = format!("INSERT INTO search_words (key, word) VALUES {} ON CONFLICT DO NOTHING", tuples.join(", "));
    Statement::from_sql_and_values(backend, sql, values)
}

/// Contacts read per batch, and `(key, word)` rows per INSERT.
const BATCH: i64 = 2000;
const ROWS_PER_INSERT: usize = 500;

/// Adds the words of every stored contact to `search_words` (the migration that creates the
/// table runs it): contacts are read in id order a batch at a time, and each word is written
/// once, in multi-row inserts. Returns how many distinct words were written.
pub async fn backfill<C: ConnectionTrait>(db: &C) -> Result<usize, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "SELECT id, search_text FROM contacts WHERE id > $1 ORDER BY id LIMIT $2",
        _ => "SELECT id, search_text FROM contacts WHERE id > ? ORDER BY id LIMIT ?",
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut last = 0i64;
    loop {
        let batch = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [last.into(), BATCH.into()])).await?;
        let mut rows: Vec<(String, String)> = Vec::new();
        for r in &batch {
            last = r.try_get_by_index(0)?;
            let text: String = r.try_get_by_index(1)?;
            for w in words(&text) {
                if seen.insert(w.clone()) {
                    rows.extend(keys(&w).into_iter().map(|k| (k, w.clone())));
                }
            }
        }
        rows.sort();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            db.execute_raw(insert_statement(backend, chunk)).await?;
        }
        if (batch.len() as i64) < BATCH {
            return Ok(seen.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_addresses_and_skip_digits_and_cyrillic() {
        assert_eq!(
            words("анна petrova anna acme gmbh anna.petrova@acme.com 79161234567 r2d2 ab"),
            vec!["petrova", "anna", "acme", "gmbh", "com", "r2d2"]
        );
    }

    #[test]
    fn one_edit_shares_a_key() {
        let shares = |a: &str, b: &str| keys(a).iter().any(|k| keys(b).contains(k));
        assert!(shares("smiht", "smith")); // swapped neighbours
        assert!(shares("schmdit", "schmidt"));
        assert!(shares("ivaonv", "ivanov"));
        assert!(shares("petrva", "petrova")); // a letter missing
        assert!(shares("petrovva", "petrova")); // one too many
        assert!(shares("petrowa", "petrova")); // substituted
        assert!(shares("enginere", "engineer")); // within the prefix; the rest is not keyed
        assert!(!shares("zebra", "petrova"));
        assert_eq!(keys("abc"), vec!["ab", "abc", "ac", "bc"]);
    }
}
