//! Indexed, typo-tolerant contact search: SQLite FTS5 (trigram tokenizer) or PostgreSQL pg_trgm.
//! Exact substring matches of every query word come first (newest first); when there are too few,
//! the typo step looks each query word up in the search vocabulary (`search_words`, see
//! [`migration::search_words`]): the stored words one edit away, kept when they are close by
//! Jaro-Winkler, and runs the same indexed exact search with those words in place of the query
//! word. Its matches are ranked by how close the words they contain are to the query.
//!
//! The search box ([`hits`]) reads its short rows (name, company, position, first phone and
//! e-mail) in the same query that finds them; a search that needs the typo step costs four
//! queries (exact, vocabulary, corrected search, the chosen rows). Recent answers are kept for a
//! second ([`crate::answers`]), dropped by every write.

use crate::db::placeholder as ph;
use crate::dto::SearchHit;
use crate::text::{digits, has_cyrillic, transliterate};
use crate::{Actor, AppResult, Services};
use migration::search_words;
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
/// The typo step ranks at most this many matches of the corrected words (newest first).
const TYPO_POOL: u64 = 200;
/// How close (Jaro-Winkler) a stored word must be to a query word to stand in for it.
const TYPO_SIMILARITY: f64 = 0.86;
/// At most this many stored words stand in for one query word (the closest).
const MAX_CORRECTIONS: usize = 6;

fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

fn like_pattern(term: &str) -> String {
    format!("%{}%", term.replace(['\\', '%', '_'], ""))
}

/// One query word and the stored words that may stand in for it, each with its similarity to
/// the query word (the query word itself first, 1.0). A contact matches the group when its
/// search text contains any of them.
#[derive(Debug, Clone, PartialEq)]
struct Group(Vec<(String, f64)>);

impl Group {
    fn exact(term: &str) -> Self {
        Group(vec![(term.to_string(), 1.0)])
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(w, _)| w.as_str())
    }
}

/// How well a search text matches the groups (0..1): for each group the best similarity among
/// its words that the text contains, averaged.
fn closeness(groups: &[Group], text: &str) -> f64 {
    let total: f64 = groups
        .iter()
        .map(|g| g.0.iter().filter(|(w, _)| text.contains(w.as_str())).map(|(_, s)| *s).fold(0.0, f64::max))
        .sum();
    total / groups.len().max(1) as f64
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

/// The exact step as one statement selecting `columns` of contacts `c`: for every group, one of
/// its words is a substring of the contact's search text; newest first, at most `limit`.
///
/// SQLite: the FTS5 trigram index is walked newest first and joined to the contacts, so the walk
/// stops at the `limit`-th live match (the trash, where most matches are not, is bounded by
/// [`MATCH_CAP`] instead). Words shorter than a trigram are checked with LIKE on the rows found.
/// PostgreSQL: ILIKE on `search_text`, which the pg_trgm GIN index serves.
fn exact_statement(backend: DatabaseBackend, groups: &[Group], columns: &str, limit: u64, trash: bool) -> Statement {
    let live = live_condition(trash);
    let mut values: Vec<Value> = Vec::new();
    let mut conds: Vec<String> = vec![live.to_string()];
    // On SQLite a group goes to the FTS expression when all its words are long enough to be
    // trigram phrases (corrections always are; a short query word has none).
    let in_fts = |g: &Group| backend == DatabaseBackend::Sqlite && g.words().all(|w| w.chars().count() >= 3);
    let sqlite_fts = groups.iter().any(in_fts);
    if sqlite_fts {
        let expr = groups
            .iter()
            .filter(|g| in_fts(g))
            .map(|g| any_of(g.words().map(fts_phrase).collect()))
            .collect::<Vec<_>>()
            .join(" AND ");
        values.push(expr.into());
        if trash {
            conds.push(format!(
                "c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH {} ORDER BY rowid DESC LIMIT {MATCH_CAP})",
                ph(backend, values.len())
            ));
        } else {
            conds.push(format!("contacts_fts MATCH {}", ph(backend, values.len())));
        }
    }
    let op = if backend == DatabaseBackend::Postgres { "ILIKE" } else { "LIKE" };
    for g in groups.iter().filter(|g| !in_fts(g)) {
        let mut alts = Vec::new();
        for w in g.words() {
            values.push(like_pattern(w).into());
            alts.push(format!("c.search_text {op} {}", ph(backend, values.len())));
        }
        conds.push(any_of(alts));
    }
    values.push((limit as i64).into());
    let (from, order) = if sqlite_fts && !trash {
        // CROSS JOIN fixes the join order: the index walk outside, newest first (the planner
        // otherwise walks the live contacts and probes the index for each: 4 s instead of 0.2 ms).
        ("contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid", "contacts_fts.rowid DESC")
    } else if backend == DatabaseBackend::Postgres && groups.iter().any(|g| g.0.len() > 1) {
        // Corrected words ORed together: PostgreSQL misjudges how common they are and walks the
        // primary key backwards filtering every row (`ivanov` OR …: 640 ms over 95,000 rows);
        // `id + 0` leaves it the trigram index (BitmapOr, then sort the matches: 2–30 ms).
        ("contacts c", "c.id + 0 DESC")
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

/// One condition out of alternatives (FTS phrases or SQL conditions): `a`, or `(a OR b …)`.
fn any_of(mut alts: Vec<String>) -> String {
    if alts.len() == 1 {
        alts.remove(0)
    } else {
        format!("({})", alts.join(" OR "))
    }
}

fn exact_groups(terms: &[String]) -> Vec<Group> {
    terms.iter().map(|t| Group::exact(t)).collect()
}

/// Ids of contacts matching `q`, best first, at most `limit`.
pub async fn ids<C: ConnectionTrait>(db: &C, q: &str, limit: u64, trash: bool) -> AppResult<Vec<i64>> {
    let terms = terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut found: Vec<i64> = Vec::new();
    for r in db.query_all_raw(exact_statement(backend, &exact_groups(&terms), "c.id", limit, trash)).await? {
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

/// Every query word with the stored words that may stand in for it: those sharing a deletion key
/// with it (one primary-key lookup per key, one query for all words) and close by Jaro-Winkler,
/// the closest [`MAX_CORRECTIONS`]. Words shorter than 3 characters stand for themselves only.
async fn corrections<C: ConnectionTrait>(db: &C, terms: &[String]) -> AppResult<Vec<Group>> {
    let backend = db.get_database_backend();
    let mut term_keys: Vec<Vec<String>> = Vec::new();
    let mut all_keys: Vec<String> = Vec::new();
    for t in terms {
        let keys = if t.chars().count() >= 3 { search_words::keys(t) } else { Vec::new() };
        all_keys.extend(keys.iter().cloned());
        term_keys.push(keys);
    }
    all_keys.sort();
    all_keys.dedup();
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    if !all_keys.is_empty() {
        let list = (1..=all_keys.len()).map(|i| ph(backend, i)).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT key, word FROM search_words WHERE key IN ({list})");
        let values: Vec<Value> = all_keys.iter().map(|k| k.clone().into()).collect();
        for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let key: String = r.try_get_by_index(0)?;
            by_key.entry(key).or_default().push(r.try_get_by_index(1)?);
        }
    }
    Ok(terms
        .iter()
        .zip(&term_keys)
        .map(|(t, keys)| {
            let mut near: Vec<(String, f64)> = Vec::new();
            for w in keys.iter().filter_map(|k| by_key.get(k)).flatten() {
                if w != t && !near.iter().any(|(n, _)| n == w) {
                    let s = strsim::jaro_winkler(t, w);
                    if s >= TYPO_SIMILARITY {
                        near.push((w.clone(), s));
                    }
                }
            }
            near.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            near.truncate(MAX_CORRECTIONS);
            let mut g = Group::exact(t);
            g.0.extend(near);
            g
        })
        .collect())
}

/// Contacts found with stored words in place of the query words (see [`corrections`]), at most
/// [`TYPO_POOL`] newest, closest first.
async fn fuzzy<C: ConnectionTrait>(db: &C, terms: &[String], trash: bool) -> AppResult<Vec<i64>> {
    let groups = corrections(db, terms).await?;
    if groups.iter().all(|g| g.0.len() == 1) {
        // No stored word is close to any query word: the exact step already said all there is.
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let statement = exact_statement(backend, &groups, "c.id, c.search_text", TYPO_POOL, trash);
    let mut scored: Vec<(f64, i64)> = Vec::new();
    for r in db.query_all_raw(statement).await? {
        let id: i64 = r.try_get_by_index(0)?;
        let text: String = r.try_get_by_index(1)?;
        scored.push((closeness(&groups, &text), id));
    }
    // Stable: equally close matches stay newest first.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scored.into_iter().map(|(_, id)| id).collect())
}

/// Adds the words of a contact's search text to the search vocabulary, in the transaction that
/// writes the text: one statement, words already known left as they are.
pub(crate) async fn remember_words<C: ConnectionTrait>(db: &C, text: &str) -> AppResult<()> {
    let rows = search_words::rows(text);
    if !rows.is_empty() {
        db.execute_raw(search_words::insert_statement(db.get_database_backend(), &rows)).await?;
    }
    Ok(())
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

/// Short hits for the search box: one query when the exact step finds enough, four when the
/// typo step runs (exact, vocabulary, corrected search, the rows it chose).
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
    for r in db.query_all_raw(exact_statement(backend, &exact_groups(terms), HIT_COLUMNS, limit, false)).await? {
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
    fn closeness_ranks_the_query_word_over_its_corrections() {
        let g = |alts: &[(&str, f64)]| Group(alts.iter().map(|(w, s)| (w.to_string(), *s)).collect());
        let groups = vec![g(&[("smiht", 1.0), ("smith", 0.95), ("smit", 0.93)]), Group::exact("acme")];
        assert_eq!(closeness(&groups, "john smith acme"), (0.95 + 1.0) / 2.0);
        assert_eq!(closeness(&groups, "ann smit acme"), (0.93 + 1.0) / 2.0);
        assert_eq!(closeness(&groups, "x smiht y acme"), 1.0);
        assert_eq!(closeness(&groups, "john smith"), 0.95 / 2.0);
    }

    #[test]
    fn corrected_words_are_alternatives_in_one_indexed_statement() {
        let groups =
            vec![Group(vec![("smiht".into(), 1.0), ("smith".into(), 0.95)]), Group::exact("acme"), Group::exact("jo")];
        let sql = |b| exact_statement(b, &groups, "c.id", 10, false);
        let sqlite = sql(DatabaseBackend::Sqlite);
        assert!(
            sqlite.sql.contains("contacts_fts MATCH ?") && sqlite.sql.contains("c.search_text LIKE ?"),
            "{}",
            sqlite.sql
        );
        let values = sqlite.values.unwrap().0;
        assert_eq!(values[0], Value::from("(\"smiht\" OR \"smith\") AND \"acme\""));
        assert_eq!(values[1], Value::from("%jo%"));
        let pg = sql(DatabaseBackend::Postgres);
        assert!(
            pg.sql.contains("(c.search_text ILIKE $1 OR c.search_text ILIKE $2) AND c.search_text ILIKE $3 AND c.search_text ILIKE $4"),
            "{}",
            pg.sql
        );
    }
}
