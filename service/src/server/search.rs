//! Indexed, typo-tolerant contact search: SQLite FTS5 (trigram tokenizer) or PostgreSQL pg_trgm.
//! Exact substring matches of every query word come first (newest first); when there are too few,
//! words sharing trigrams with the query are added, re-ranked by Jaro-Winkler similarity.
//!
//! The search box ([`hits`]) reads its short rows (name, company, position, first phone and
//! e-mail) in the same query that finds them; a search that needs the typo step costs three
//! queries. Recent answers are kept for a second ([`SearchCache`]), dropped by every write.

use crate::db::placeholder as ph;
use crate::dto::SearchHit;
use crate::text::{digits, has_cyrillic, transliterate};
use crate::{Actor, AppResult, Services};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Query words, lower-cased; phone-like words reduced to digits, Cyrillic also transliterated.
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in q.split_whitespace().take(8) {
        let w = word.to_lowercase();
        let d = digits(&w);
        let phone_like = d.len() >= 3 && w.chars().all(|c| c.is_ascii_digit() || "+-().".contains(c));
        let w = if phone_like { d } else { w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@').to_string() };
        if w.is_empty() {
            continue;
        }
        out.push(if has_cyrillic(&w) { transliterate(&w) } else { w });
    }
    out
}

/// At most this many index matches are looked at per query (newest first), so a very common
/// word or trigram costs a bounded amount of work.
const MATCH_CAP: u32 = 2000;

fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

fn like_pattern(term: &str) -> String {
    format!("%{}%", term.replace(['\\', '%', '_'], ""))
}

fn trigrams(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    chars.windows(3).map(|w| w.iter().collect()).collect()
}

/// How well every query term is matched by some word of `text` (0..1).
fn similarity(terms: &[String], text: &str) -> f64 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let total: f64 = terms
        .iter()
        .map(|t| {
            words
                .iter()
                .map(|w| if w.contains(t.as_str()) { 1.0 } else { strsim::jaro_winkler(t, w) })
                .fold(0.0, f64::max)
        })
        .sum();
    total / terms.len().max(1) as f64
}

fn live_condition(trash: bool) -> &'static str {
    // Contacts merged into another one are hidden from search as from the list.
    if trash {
        "c.deleted_at IS NOT NULL AND c.merged_into_id IS NULL"
    } else {
        "c.deleted_at IS NULL AND c.merged_into_id IS NULL"
    }
}

/// The columns of a [`SearchHit`], read with the contact: its first phone and e-mail by position.
const HIT_COLUMNS: &str = "c.id, c.full_name, c.company, c.position, \
     (SELECT p.number FROM contact_phones p WHERE p.contact_id = c.id ORDER BY p.position, p.id LIMIT 1), \
     (SELECT e.address FROM contact_emails e WHERE e.contact_id = c.id ORDER BY e.position, e.id LIMIT 1)";

/// The exact step as one statement selecting `columns` of contacts `c`: every term is a substring
/// of the contact's search text; newest first, at most `limit`.
///
/// SQLite: the FTS5 trigram index is walked newest first and joined to the contacts, so the walk
/// stops at the `limit`-th live match (the trash, where most matches are not, is bounded by
/// [`MATCH_CAP`] instead). Terms shorter than a trigram are checked with LIKE on the rows found.
/// PostgreSQL: ILIKE on `search_text`, which the pg_trgm GIN index serves.
fn exact_statement(backend: DatabaseBackend, terms: &[String], columns: &str, limit: u64, trash: bool) -> Statement {
    let live = live_condition(trash);
    let long: Vec<&String> = terms.iter().filter(|t| t.chars().count() >= 3).collect();
    let mut values: Vec<Value> = Vec::new();
    let mut conds: Vec<String> = vec![live.to_string()];
    let sqlite_fts = backend == DatabaseBackend::Sqlite && !long.is_empty();
    if sqlite_fts {
        values.push(long.iter().map(|t| fts_phrase(t)).collect::<Vec<_>>().join(" AND ").into());
        if trash {
            conds.push(format!(
                "c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH {} ORDER BY rowid DESC LIMIT {MATCH_CAP})",
                ph(backend, values.len())
            ));
        } else {
            conds.push(format!("contacts_fts MATCH {}", ph(backend, values.len())));
        }
    }
    for t in terms {
        if backend == DatabaseBackend::Postgres || t.chars().count() < 3 {
            values.push(like_pattern(t).into());
            let op = if backend == DatabaseBackend::Postgres { "ILIKE" } else { "LIKE" };
            conds.push(format!("c.search_text {op} {}", ph(backend, values.len())));
        }
    }
    values.push((limit as i64).into());
    let (from, order) = if sqlite_fts && !trash {
        // CROSS JOIN fixes the join order: the index walk outside, newest first (the planner
        // otherwise walks the live contacts and probes the index for each: 4 s instead of 0.2 ms).
        ("contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid", "contacts_fts.rowid DESC")
    } else {
        ("contacts c", "c.id DESC")
    };
    let sql = format!(
        "SELECT {columns} FROM {from} WHERE {} ORDER BY {order} LIMIT {}",
        conds.join(" AND "),
        ph(backend, values.len())
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// Ids of contacts matching `q`, best first, at most `limit`.
pub async fn ids<C: ConnectionTrait>(db: &C, q: &str, limit: u64, trash: bool) -> AppResult<Vec<i64>> {
    let terms = terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut found: Vec<i64> = Vec::new();
    for r in db.query_all_raw(exact_statement(backend, &terms, "c.id", limit, trash)).await? {
        found.push(r.try_get_by_index(0)?);
    }
    if (found.len() as u64) < limit.min(10) {
        let seen: HashSet<i64> = found.iter().copied().collect();
        for id in fuzzy(db, &terms, trash).await? {
            if !seen.contains(&id) && (found.len() as u64) < limit {
                found.push(id);
            }
        }
    }
    Ok(found)
}

/// Candidates sharing trigrams with the query, kept when their words are close to every term;
/// best first.
async fn fuzzy<C: ConnectionTrait>(db: &C, terms: &[String], trash: bool) -> AppResult<Vec<i64>> {
    let long: Vec<&String> = terms.iter().filter(|t| t.chars().count() >= 3).collect();
    if long.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let live = live_condition(trash);
    let pool = MATCH_CAP as i64;
    let mut grams: Vec<String> = long.iter().flat_map(|t| trigrams(t)).collect();
    grams.sort();
    grams.dedup();
    let (sql, values): (String, Vec<Value>) = if backend == DatabaseBackend::Sqlite {
        let expr = grams.iter().map(|g| fts_phrase(g)).collect::<Vec<_>>().join(" OR ");
        (
            format!(
                "SELECT c.id, c.search_text FROM contacts c WHERE c.id IN \
                 (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ? ORDER BY rowid DESC LIMIT ?) AND {live}"
            ),
            vec![expr.into(), pool.into()],
        )
    } else {
        // Any shared trigram (each an index lookup in the pg_trgm GIN index), best word similarity first.
        let mut values: Vec<Value> = vec![terms.join(" ").into()];
        let mut ors = Vec::new();
        for g in &grams {
            values.push(like_pattern(g).into());
            ors.push(format!("c.search_text ILIKE ${}", values.len()));
        }
        values.push(pool.into());
        (
            format!(
                "SELECT c.id, c.search_text FROM contacts c WHERE ({}) AND {live} \
                 ORDER BY word_similarity($1, c.search_text) DESC LIMIT ${}",
                ors.join(" OR "),
                values.len()
            ),
            values,
        )
    };
    let mut scored: Vec<(f64, i64)> = Vec::new();
    for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        let id: i64 = r.try_get_by_index(0)?;
        let text: String = r.try_get_by_index(1)?;
        let s = similarity(terms, &text);
        if s >= 0.86 {
            scored.push((s, id));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scored.into_iter().map(|(_, id)| id).collect())
}

fn hit(r: &QueryResult) -> AppResult<SearchHit> {
    Ok(SearchHit {
        id: r.try_get_by_index(0)?,
        full_name: r.try_get_by_index(1)?,
        company: r.try_get_by_index(2)?,
        position: r.try_get_by_index(3)?,
        phone: r.try_get_by_index(4)?,
        email: r.try_get_by_index(5)?,
    })
}

/// Short hits for the search box: one query when the exact step finds enough, three when the
/// typo step runs (find, score, read the rows it chose).
pub async fn hits(svc: &Services, _actor: &Actor, q: &str, limit: u64) -> AppResult<Vec<SearchHit>> {
    let limit = limit.clamp(1, 50);
    let terms = terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let key = format!("{limit}\u{1}{}", terms.join("\u{1}"));
    svc.searches.get_or_read(key, || hits_uncached(&svc.db, &terms, limit)).await
}

async fn hits_uncached<C: ConnectionTrait>(db: &C, terms: &[String], limit: u64) -> AppResult<Vec<SearchHit>> {
    let backend = db.get_database_backend();
    let mut found: Vec<SearchHit> = Vec::new();
    for r in db.query_all_raw(exact_statement(backend, terms, HIT_COLUMNS, limit, false)).await? {
        found.push(hit(&r)?);
    }
    if (found.len() as u64) >= limit.min(10) {
        return Ok(found);
    }
    let seen: HashSet<i64> = found.iter().map(|h| h.id).collect();
    let extra: Vec<i64> = fuzzy(db, terms, false)
        .await?
        .into_iter()
        .filter(|id| !seen.contains(id))
        .take(limit as usize - found.len())
        .collect();
    if extra.is_empty() {
        return Ok(found);
    }
    let values: Vec<Value> = extra.iter().map(|id| (*id).into()).collect();
    let list = (1..=extra.len()).map(|i| ph(backend, i)).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT {HIT_COLUMNS} FROM contacts c WHERE c.id IN ({list})");
    let mut rows: HashMap<i64, SearchHit> = HashMap::new();
    for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        let h = hit(&r)?;
        rows.insert(h.id, h);
    }
    found.extend(extra.iter().filter_map(|id| rows.remove(id)));
    Ok(found)
}

/// How long a search-box answer is kept (1 s; `CARDCRM_SEARCH_CACHE_MS`, 0 turns the cache off,
/// e.g. to measure the queries): the bound on how long another instance's write can stay unseen.
pub(crate) fn answer_lifetime() -> Duration {
    let ms = std::env::var("CARDCRM_SEARCH_CACHE_MS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(1000);
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_normalise_phones_and_scripts() {
        assert_eq!(terms("+7 (916) 123-45"), vec!["7".to_string(), "916".into(), "12345".into()]);
        assert_eq!(terms("  Anna,  ACME "), vec!["anna".to_string(), "acme".into()]);
        assert_eq!(terms("Петрова"), vec!["petrova".to_string()]);
        assert_eq!(terms("(916) 123-45-67"), vec!["916".to_string(), "1234567".to_string()]);
    }

    #[test]
    fn similarity_tolerates_a_typo() {
        let text = "anna petrova acme sales";
        assert!(similarity(&["petorva".into()], text) > 0.86);
        assert!(similarity(&["petrova".into(), "acme".into()], text) > 0.99);
        assert!(similarity(&["zebra".into()], text) < 0.86);
    }
}
