//! Indexed, typo-tolerant contact search: SQLite FTS5 (trigram tokenizer) or PostgreSQL pg_trgm.
//! Exact substring matches of every query word come first; when there are too few, words
//! sharing most trigrams with the query are added, re-ranked by Jaro-Winkler similarity.

use crate::db::placeholder as ph;
use crate::dto::SearchHit;
use crate::text::{digits, has_cyrillic, transliterate};
use crate::{contacts, Actor, AppResult, Services};
use entity::contact;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement, Value};
use std::collections::HashSet;

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

/// Ids of contacts matching `q`, best first, at most `limit`.
pub async fn ids<C: ConnectionTrait>(db: &C, q: &str, limit: u64, trash: bool) -> AppResult<Vec<i64>> {
    let terms = terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    // Contacts merged into another one are hidden from search as from the list.
    let live = if trash {
        "c.deleted_at IS NOT NULL AND c.merged_into_id IS NULL"
    } else {
        "c.deleted_at IS NULL AND c.merged_into_id IS NULL"
    };
    let long: Vec<&String> = terms.iter().filter(|t| t.chars().count() >= 3).collect();
    let mut values: Vec<Value> = Vec::new();
    let mut conds: Vec<String> = vec![live.to_string()];
    if backend == DatabaseBackend::Sqlite && !long.is_empty() {
        let expr = long.iter().map(|t| fts_phrase(t)).collect::<Vec<_>>().join(" AND ");
        values.push(expr.into());
        // Bounded in the index itself: a common word must not materialise every match.
        conds.push(format!(
            "c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH {} ORDER BY rowid DESC LIMIT {MATCH_CAP})",
            ph(backend, values.len())
        ));
    }
    for t in &terms {
        if backend == DatabaseBackend::Postgres || t.chars().count() < 3 {
            values.push(format!("%{}%", t.replace('\\', "").replace('%', "").replace('_', "")).into());
            let op = if backend == DatabaseBackend::Postgres { "ILIKE" } else { "LIKE" };
            conds.push(format!("c.search_text {op} {}", ph(backend, values.len())));
        }
    }
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT c.id FROM contacts c WHERE {} ORDER BY c.id DESC LIMIT {}",
        conds.join(" AND "),
        ph(backend, values.len())
    );
    let mut found: Vec<i64> = Vec::new();
    for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        found.push(r.try_get_by_index(0)?);
    }
    if (found.len() as u64) < limit.min(10) && !long.is_empty() {
        let seen: HashSet<i64> = found.iter().copied().collect();
        for id in fuzzy(db, &terms, &long, live, MATCH_CAP as i64).await? {
            if !seen.contains(&id) && (found.len() as u64) < limit {
                found.push(id);
            }
        }
    }
    Ok(found)
}

/// Candidates sharing trigrams with the query, kept when their words are close to every term.
async fn fuzzy<C: ConnectionTrait>(
    db: &C,
    terms: &[String],
    long: &[&String],
    live: &str,
    pool: i64,
) -> AppResult<Vec<i64>> {
    let backend = db.get_database_backend();
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
            values.push(format!("%{}%", g.replace(['\\', '%', '_'], "")).into());
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

/// Short hits for the search box.
pub async fn hits(svc: &Services, _actor: &Actor, q: &str, limit: u64) -> AppResult<Vec<SearchHit>> {
    let ids = ids(&svc.db, q, limit.clamp(1, 50), false).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = contact::Entity::find().filter(contact::Column::Id.is_in(ids.clone())).all(&svc.db).await?;
    let mut full = contacts::load_many(&svc.db, rows).await?;
    full.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
    Ok(full
        .into_iter()
        .map(|c| SearchHit {
            id: c.id,
            email: c.emails.first().map(|e| e.address.clone()),
            phone: c.phones.first().map(|p| p.number.clone()),
            full_name: c.full_name,
            company: c.company,
            position: c.position,
        })
        .collect())
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
