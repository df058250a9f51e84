//! Indexed, typo-tolerant contact search: SQLite FTS5 (trigram tokenizer) or PostgreSQL pg_trgm.
//! Exact substring matches of every query word come first (newest first); when there are too few,
//! the typo step looks each query word up in the search vocabulary (`search_words`, see
//! [`migration::search_words`]): the stored words one edit away, kept when they are close by
//! Jaro-Winkler. It then tries spellings of the query made of those words, closest first (see
//! [`spellings`]), each with the same indexed exact search, until enough contacts are found: every
//! search reads only the rows it returns.
//!
//! The search box ([`hits`]) reads its short rows (name, company, position, first phone and
//! e-mail) in the query that finds them; a search that needs the typo step costs the exact query,
//! one vocabulary lookup and one query per spelling tried (one when the closest spelling is a
//! common word). Recent answers are kept for a second ([`crate::platform::answers`]), dropped by every write.

pub mod contact_index;
pub mod search_index;

use crate::dto::SearchHit;
use crate::platform::db::placeholder as ph;
use crate::platform::text::{digits, has_cyrillic, transliterate};
use crate::{Actor, AppError, AppResult, Services};
use migration::search_words;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::Duration;

/// Query words, lower-cased; phone-like words reduced to digits, Cyrillic also transliterated.
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Control characters split words too: a NUL inside a term broke SQLite's full-text query
    // ("unterminated string", a 500) and PostgreSQL refuses NUL in text.
    for word in q.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).take(8) {
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
/// The typo step tries at most this many spellings of the query.
const MAX_SPELLINGS: usize = 8;
/// How close (Jaro-Winkler) a stored word must be to a query word to stand in for it.
const TYPO_SIMILARITY: f64 = 0.86;
/// At most this many stored words stand in for one query word (the closest).
const MAX_CORRECTIONS: usize = 6;

fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// A query word without LIKE's wildcards and escape character, as every step matches it: the
/// LIKE patterns and PostgreSQL's `strpos` window walk agree on what matches.
fn bare_word(term: &str) -> String {
    term.replace(['\\', '%', '_'], "")
}

fn like_pattern(term: &str) -> String {
    format!("%{}%", bare_word(term))
}

/// One query word and the stored words that may stand in for it, each with its similarity to
/// the query word (the query word itself first, 1.0).
#[derive(Debug, Clone, PartialEq)]
struct Group(Vec<(String, f64)>);

impl Group {
    fn exact(term: &str) -> Self {
        Group(vec![(term.to_string(), 1.0)])
    }
}

fn live_condition(backend: DatabaseBackend, trash: bool) -> &'static str {
    // Contacts merged into another one are hidden from search as from the list. PostgreSQL's
    // search table keeps the same as a state (0 live, 1 trash, 2 merged; see the migration
    // `search_table`).
    match (backend, trash) {
        (DatabaseBackend::Postgres, true) => "s.state = 1",
        (DatabaseBackend::Postgres, false) => "s.state = 0",
        (_, true) => "c.deleted_at IS NOT NULL AND c.merged_into_id IS NULL",
        (_, false) => "c.deleted_at IS NULL AND c.merged_into_id IS NULL",
    }
}

/// The columns of a [`SearchHit`], read with the contact: its first phone and e-mail by position.
const HIT_COLUMNS: &str = "c.id, c.full_name, c.company, c.position, \
     (SELECT p.number FROM contact_phones p WHERE p.contact_id = c.id ORDER BY p.position, p.id LIMIT 1), \
     (SELECT e.address FROM contact_emails e WHERE e.contact_id = c.id ORDER BY e.position, e.id LIMIT 1)";

/// The exact step as one statement selecting `columns` of contacts `c`: every one of `words` is
/// a substring of the contact's search text; newest first, at most `limit`.
///
/// SQLite: the FTS5 trigram index is walked newest first and joined to the contacts, so the walk
/// stops at the `limit`-th live match (the trash, where most matches are not, is bounded by
/// [`MATCH_CAP`] instead). Words shorter than a trigram are checked with LIKE on the rows found.
/// PostgreSQL: see [`pg_exact_statement`].
fn exact_statement(backend: DatabaseBackend, words: &[String], columns: &str, limit: u64, trash: bool) -> Statement {
    if backend == DatabaseBackend::Postgres {
        let walk = if limit * 20 <= RECENT_WINDOW { PgWalk::RecentThenIndexed } else { PgWalk::Indexed };
        return pg_exact_statement(words, columns, limit, trash, walk);
    }
    let live = live_condition(backend, trash);
    let mut values: Vec<Value> = Vec::new();
    let mut conds: Vec<String> = vec![live.to_string()];
    // A word long enough to be a trigram phrase goes to the FTS expression.
    let in_fts = |w: &&String| w.chars().count() >= 3;
    let fts: Vec<String> = words.iter().filter(in_fts).map(|w| fts_phrase(w)).collect();
    if !fts.is_empty() {
        values.push(fts.join(" AND ").into());
        if trash {
            conds.push(format!(
                "c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH {} ORDER BY rowid DESC LIMIT {MATCH_CAP})",
                ph(backend, values.len())
            ));
        } else {
            conds.push(format!("contacts_fts MATCH {}", ph(backend, values.len())));
        }
    }
    // LIKE, not ILIKE: the search text and the query words are both lower-cased (see
    // `text::searchable` and [`terms`]).
    for w in words.iter().filter(|w| !in_fts(w)) {
        values.push(like_pattern(w).into());
        conds.push(format!("c.search_text LIKE {}", ph(backend, values.len())));
    }
    let (from, order) = if !fts.is_empty() && !trash {
        // CROSS JOIN fixes the join order: the index walk outside, newest first (the planner
        // otherwise walks the live contacts and probes the index for each: 4 s instead of 0.2 ms).
        ("contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid", "contacts_fts.rowid DESC")
    } else {
        ("contacts c", "c.id DESC")
    };
    // The limit is written into the SQL, not bound: SQLite 3.51 plans `LIMIT ?` with the bound
    // value, so every execution with a new binding parses and plans the statement again (a sixth
    // of a search's CPU). A few limits occur, so the prepared-statement cache holds them all.
    let sql = format!("SELECT {columns} FROM {from} WHERE {} ORDER BY {order} LIMIT {limit}", conds.join(" AND "));
    Statement::from_sql_and_values(backend, sql, values)
}

/// How PostgreSQL reads the exact step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PgWalk {
    /// The newest [`RECENT_WINDOW`] contact ids first, newest first by the primary key: bounded,
    /// and enough for a common word. When fewer than `limit` of them match, the trigram index
    /// finds every match instead (in the same statement).
    RecentThenIndexed,
    /// Every match, found through the trigram index, then sorted: cheap for a rare word.
    Indexed,
}

/// PostgreSQL's first, bounded look: the newest this many contact ids (0.7 ms when all of
/// them have to be read).
const RECENT_WINDOW: u64 = 1000;

/// PostgreSQL skips the walk of the newest contacts for query words that, by the trigram counts
/// (see [`pg_exact_statement`]), fewer than this many contacts can contain: the trigram index
/// reads their matches for about as much as the walk would cost (about 1.3 µs per match against
/// 0.7 µs per contact walked, BENCHMARKS.md), and a rare word's walk finds too few anyway.
const INDEX_FIRST_BELOW: u64 = 1000;

/// PostgreSQL's exact step. It cannot walk its trigram index newest first, and neither of its two
/// plans suits every word: the primary key's newest-first walk stops early on a common word but
/// reads the whole table for a rare one, and the trigram index finds a rare word's few rows but
/// every one of a common word's. So a small search ([`PgWalk::RecentThenIndexed`], the search
/// box's, `limit` at most a twentieth of the window) first walks the newest [`RECENT_WINDOW`]
/// contacts; when `limit` of them match, they are the answer (they are the newest matches),
/// otherwise the word is rare and the trigram index finds all its matches. Both are one
/// statement: the index part runs only when the walk's count says so (a one-time filter). A
/// larger search (the list's, up to 1,000 ids) goes to the index at once.
///
/// A word known to be rare skips the walk, which would only find too few: every contact holding
/// the query words holds each of their trigrams, so the smallest count of them in
/// `search_trigram_counts` (refilled by the search upkeep, `search_index`) bounds the matches;
/// below [`INDEX_FIRST_BELOW`], the walk's gate is closed and the index part runs at once. A
/// trigram missing from a filled table counts 0: no contact held it then. Counts are a
/// little old (at most a twentieth of the contacts' writes), which can only make the index part
/// read a few more matches than the bound said; the answer is the same either way, the newest
/// matches. Without counts (an empty table, words under three letters) the walk comes first.
///
/// Both parts read the narrow search table `contact_search` (id, state, search text; kept by
/// triggers) and join the contact rows outside the `LIMIT`, for the matches returned only.
///
/// The statement's plan never depends on the words, so PostgreSQL plans it once per connection
/// (a generic plan) instead of at every execution (0.3-0.4 ms, as much as running it):
/// - the walk tests rows with `strpos`, which no index serves, so its plan is always the bounded
///   newest-first walk. With LIKE the planner may take the trigram bitmap instead, on its estimate
///   of how common the word is, and that estimate comes from a 100-row sample: `gmbh` (4 % of
///   contacts) was guessed at 10 rows, and the bitmap read its 4,095 matches to keep the 45 in
///   the window (12 ms instead of 0.2).
/// - the index part's patterns come through `(SELECT $n::text)`, values the planner cannot see,
///   so every execution would get the same plan, and PostgreSQL keeps the generic one. With the
///   pattern visible, it re-planned every execution to estimate the word's frequency, and the plan
///   was the trigram bitmap and a sort all the same (the only other, a sequential scan, is never
///   cheaper for the words a person types; `+ 0` keeps the primary key's walk out).
fn pg_exact_statement(words: &[String], columns: &str, limit: u64, trash: bool, walk: PgWalk) -> Statement {
    let backend = DatabaseBackend::Postgres;
    let live = live_condition(backend, trash);
    let mut values: Vec<Value> = Vec::new();
    let mut index: Vec<String> = Vec::new();
    for w in words {
        values.push(like_pattern(w).into());
        index.push(format!("s.search_text LIKE (SELECT {}::text)", ph(backend, values.len())));
    }
    let index = |gate: &str| {
        format!(
            "SELECT s.id FROM contact_search s WHERE {gate}{live} AND {} ORDER BY s.id + 0 DESC LIMIT {limit}",
            index.join(" AND ")
        )
    };
    let join = "m JOIN contacts c ON c.id = m.id ORDER BY c.id DESC";
    let sql = match walk {
        PgWalk::Indexed => format!("SELECT {columns} FROM ({}) {join}", index("")),
        PgWalk::RecentThenIndexed => {
            let mut window = vec![live.to_string()];
            for w in words {
                values.push(bare_word(w).into());
                window.push(format!("strpos(s.search_text, {}) > 0", ph(backend, values.len())));
            }
            window.push(format!("s.id > (SELECT max(id) FROM contact_search) - {RECENT_WINDOW}"));
            values.push(words.iter().map(|w| bare_word(w)).collect::<Vec<_>>().join(" ").into());
            let bound =
                crate::search::search_index::match_bound(&format!("(SELECT {}::text)", ph(backend, values.len())));
            format!(
                "WITH b AS MATERIALIZED ({bound} AS n), \
                 w AS MATERIALIZED (SELECT s.id FROM contact_search s \
                 WHERE coalesce((SELECT n FROM b), {INDEX_FIRST_BELOW}) >= {INDEX_FIRST_BELOW} AND {} \
                 ORDER BY s.id DESC LIMIT {limit}) \
                 SELECT {columns} FROM (SELECT id FROM w WHERE (SELECT count(*) FROM w) >= {limit} \
                 UNION ALL ({})) {join}",
                window.join(" AND "),
                index(&format!("(SELECT count(*) FROM w) < {limit} AND ")),
            )
        }
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The exact step's rows (see [`exact_statement`]).
async fn exact<C: ConnectionTrait>(
    db: &C,
    words: &[String],
    columns: &str,
    limit: u64,
    trash: bool,
) -> AppResult<Vec<QueryResult>> {
    Ok(db.query_all_raw(exact_statement(db.get_database_backend(), words, columns, limit, trash)).await?)
}

/// Ids of contacts matching `q`, best first, at most `limit`.
pub async fn ids(svc: &Services, q: &str, limit: u64, trash: bool) -> AppResult<Vec<i64>> {
    let terms = terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let _turn = svc.search_turns.take().await?;
    search(&svc.db, &terms, "c.id", limit, trash, |r| Ok(r.try_get_by_index(0)?), |id: &i64| *id).await
}

/// Turns for searches to read the database: at most this many searches run their statements at
/// once, and the others wait in the order they came (a fair semaphore). A search takes one turn
/// for all its statements, which it holds from the first to the last.
///
/// Without turns, every statement queued for a pool connection on its own, and the database ran
/// all the pool's statements at once, sharing the cores among them. A misspelt word's search
/// (the exact step, the vocabulary, a corrected spelling: three statements) then queued three
/// times and shared the cores three times, and the slowest twentieth of searches were the
/// misspelt ones: p95 30-37 ms at 32 connections on two cores, against 17-19 ms with turns (and
/// the smaller pool), at as many searches per second or more (BENCHMARKS.md, session 11).
///
/// How many: see [`turns`].
pub(crate) struct Turns(tokio::sync::Semaphore);

/// How many searches may read the database at once: `CARDCRM_SEARCH_CONCURRENCY`, else the size
/// of `db`'s pool ([`crate::platform::db::pool_max`]), so searches can use every connection but never wait
/// for one inside their turn when nothing else is using the pool.
pub(crate) fn turns(db: &sea_orm::DatabaseConnection) -> usize {
    std::env::var("CARDCRM_SEARCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(crate::platform::db::pool_max(db) as usize)
}

impl Turns {
    pub(crate) fn new(n: usize) -> Self {
        Turns(tokio::sync::Semaphore::new(n.max(1)))
    }

    /// Waits for a turn; the turn ends when the returned permit is dropped.
    async fn take(&self) -> AppResult<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so this cannot fail; say so plainly if it ever does.
        self.0.acquire().await.map_err(|_| crate::AppError::Internal("search turns closed".into()))
    }
}

/// The exact step, then (when it finds fewer than `limit.min(10)`) the typo step: rows of
/// `columns` read by `row`, at most `limit`, each contact once.
async fn search<C, T>(
    db: &C,
    terms: &[String],
    columns: &str,
    limit: u64,
    trash: bool,
    row: impl Fn(&QueryResult) -> AppResult<T>,
    id_of: impl Fn(&T) -> i64,
) -> AppResult<Vec<T>>
where
    C: ConnectionTrait,
{
    let mut found: Vec<T> = Vec::new();
    for r in exact(db, terms, columns, limit, trash).await? {
        found.push(row(&r)?);
    }
    if (found.len() as u64) >= limit.min(10) {
        return Ok(found);
    }
    let mut seen: HashSet<i64> = found.iter().map(&id_of).collect();
    let groups = corrections(db, terms).await?;
    for spelling in spellings(&groups, MAX_SPELLINGS) {
        let wanted = limit - found.len() as u64;
        // Contacts found by a closer spelling can match this one too (`smith` contains `smit`):
        // ask for as many more as were already found, so `wanted` new ones can still come.
        for r in exact(db, &spelling, columns, wanted + seen.len() as u64, trash).await? {
            let item = row(&r)?;
            if seen.insert(id_of(&item)) && (found.len() as u64) < limit {
                found.push(item);
            }
        }
        if found.len() as u64 >= limit {
            break;
        }
    }
    Ok(found)
}

/// The spellings of the query made of the groups' words, closest first (by the sum of their
/// words' similarities to the query words), at most `max`; the query itself (every word as typed)
/// is left out, the exact step searched it. Best-first over the choices, so a long query with many
/// corrections costs only the spellings returned.
///
/// A contact matched by several spellings is found first by the closest of them; so contacts come
/// ranked by how close, word for word, what they contain is to the query.
fn spellings(groups: &[Group], max: usize) -> Vec<Vec<String>> {
    // A spelling is the positions of the words chosen, queued under its score: a sum of
    // similarities, never negative, so its bits order as its value does. Between equal scores the
    // larger positions come first: the corrections of earlier words.
    let score = |choice: &[usize]| choice.iter().zip(groups).map(|(i, g)| g.0[*i].1).sum::<f64>().to_bits();
    let first = vec![0; groups.len()];
    let mut heap = BinaryHeap::from([(score(&first), first.clone())]);
    let mut queued: HashSet<Vec<usize>> = HashSet::from([first]);
    let mut out = Vec::new();
    while let Some((_, choice)) = heap.pop() {
        if choice.iter().any(|i| *i > 0) {
            out.push(choice.iter().zip(groups).map(|(i, g)| g.0[*i].0.clone()).collect());
            if out.len() >= max {
                break;
            }
        }
        for k in 0..groups.len() {
            if choice[k] + 1 < groups[k].0.len() {
                let mut next = choice.clone();
                next[k] += 1;
                if queued.insert(next.clone()) {
                    heap.push((score(&next), next));
                }
            }
        }
    }
    out
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

/// Short hits for the search box, read in the queries that find them (see the module comment).
pub async fn hits(svc: &Services, _actor: &Actor, q: &str, limit: u64) -> AppResult<Vec<SearchHit>> {
    if !(1..=crate::dto::MAX_SEARCH_LIMIT).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("must be an integer from 1 to {}", crate::dto::MAX_SEARCH_LIMIT),
        ));
    }
    let terms = terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let key = format!("{limit}\u{1}{}", terms.join("\u{1}"));
    svc.searches
        .get_or_read(key, || async {
            // One turn for either path (a fair queue): the index's answer reads its rows from the
            // database too, and at 256 connections searches run on the async threads without a
            // queue left a few waiting for seconds (p95 865 ms against the database path's 137).
            let _turn = svc.search_turns.take().await?;
            if let Some(index) = &svc.index {
                if let Some(hits) = index_hits(&svc.db, index, q, limit).await? {
                    return Ok(hits);
                }
            }
            hits_uncached(&svc.db, &terms, limit).await
        })
        .await
}

/// The embedded index's answer (see [`crate::search::contact_index`]), its rows read from the database
/// by id; `None` when the index cannot answer now or finds nothing live (the database's search,
/// with its substring matching, then has its say).
async fn index_hits<C: ConnectionTrait>(
    db: &C,
    index: &crate::search::contact_index::ContactIndex,
    q: &str,
    limit: u64,
) -> AppResult<Option<Vec<SearchHit>>> {
    let Some(ids) = index.ids(db, q, limit).await? else {
        return Ok(None);
    };
    if ids.is_empty() {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let marks: Vec<String> = (1..=ids.len()).map(|i| ph(backend, i)).collect();
    // Whether a hit is live is read as a column, not put in the WHERE: with it there, SQLite
    // walks the list index on (deleted_at, merged_into_id, …) instead of looking the ids up
    // (1–3 ms a search on 20,000 contacts instead of 0.1 ms; found with perf).
    let sql = format!(
        "SELECT {HIT_COLUMNS}, CASE WHEN c.deleted_at IS NULL AND c.merged_into_id IS NULL THEN 1 ELSE 0 END \
         FROM contacts c WHERE c.id IN ({})",
        marks.join(", ")
    );
    let values: Vec<Value> = ids.iter().map(|&id| Value::from(id)).collect();
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut found: HashMap<i64, SearchHit> = HashMap::new();
    for r in &rows {
        if r.try_get_by_index::<i32>(6)? != 1 {
            continue; // in the trash or merged away since the index looked
        }
        let h = hit(r)?;
        found.insert(h.id, h);
    }
    let hits: Vec<SearchHit> = ids.iter().filter_map(|id| found.remove(id)).collect();
    Ok(if hits.is_empty() { None } else { Some(hits) })
}

async fn hits_uncached<C: ConnectionTrait>(db: &C, terms: &[String], limit: u64) -> AppResult<Vec<SearchHit>> {
    search(db, terms, HIT_COLUMNS, limit, false, hit, |h: &SearchHit| h.id).await
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
        assert_eq!(terms("an\u{0}na\u{1b}x"), vec!["an".to_string(), "na".into(), "x".into()]);
        assert_eq!(terms("(916) 123-45-67"), vec!["916".to_string(), "1234567".to_string()]);
    }

    #[test]
    fn spellings_come_closest_first_without_the_query_itself() {
        let g = |alts: &[(&str, f64)]| Group(alts.iter().map(|(w, s)| (w.to_string(), *s)).collect());
        let words = |sp: &[String]| sp.join(" ");
        let groups = vec![g(&[("jhon", 1.0), ("john", 0.93), ("jon", 0.9)]), g(&[("smiht", 1.0), ("smith", 0.95)])];
        let all: Vec<String> = spellings(&groups, 10).iter().map(|s| words(s)).collect();
        assert_eq!(all, vec!["jhon smith", "john smiht", "jon smiht", "john smith", "jon smith"]);
        assert_eq!(spellings(&groups, 2).len(), 2);
        // Equally close: the correction of the earlier word first, and every spelling once.
        let tie = vec![g(&[("aa", 1.0), ("ab", 0.9)]), g(&[("cc", 1.0), ("cd", 0.9)])];
        let all: Vec<String> = spellings(&tie, 10).iter().map(|s| words(s)).collect();
        assert_eq!(all, vec!["ab cc", "aa cd", "ab cd"]);
        // Nothing to correct: no spelling.
        assert!(spellings(&[Group::exact("acme")], 10).is_empty());
        // Eight words with six corrections each: only the few asked for are built.
        let long: Vec<Group> = (0..8)
            .map(|_| g(&[("w", 1.0), ("a", 0.99), ("b", 0.98), ("c", 0.97), ("d", 0.96), ("e", 0.95), ("f", 0.94)]))
            .collect();
        assert_eq!(spellings(&long, 8).len(), 8);
    }

    #[test]
    fn the_words_of_a_query_are_one_indexed_statement() {
        let words: Vec<String> = ["smith", "acme", "jo"].map(String::from).to_vec();
        let sqlite = exact_statement(DatabaseBackend::Sqlite, &words, "c.id", 10, false);
        assert!(
            sqlite.sql.contains("contacts_fts MATCH ?") && sqlite.sql.contains("c.search_text LIKE ?"),
            "{}",
            sqlite.sql
        );
        // The limit is in the SQL (a bound `LIMIT ?` makes SQLite re-plan every execution).
        assert!(sqlite.sql.ends_with("LIMIT 10"), "{}", sqlite.sql);
        let values = sqlite.values.unwrap().0;
        assert_eq!(values.len(), 2);
        assert_eq!(values[0], Value::from("\"smith\" AND \"acme\""));
        assert_eq!(values[1], Value::from("%jo%"));

        // PostgreSQL, a search box's limit: the newest thousand ids first, then (gated by the
        // walk's count) the trigram index, in one statement.
        let pg = exact_statement(DatabaseBackend::Postgres, &words, "c.id", 10, false);
        let index = "s.search_text LIKE (SELECT $1::text) AND s.search_text LIKE (SELECT $2::text) \
                     AND s.search_text LIKE (SELECT $3::text)";
        for part in [
            "w AS MATERIALIZED (SELECT s.id FROM contact_search s WHERE ",
            "strpos(s.search_text, $4) > 0 AND strpos(s.search_text, $5) > 0 AND strpos(s.search_text, $6) > 0",
            "s.id > (SELECT max(id) FROM contact_search) - 1000 ORDER BY s.id DESC LIMIT 10)",
            "SELECT id FROM w WHERE (SELECT count(*) FROM w) >= 10 UNION ALL",
            "WHERE (SELECT count(*) FROM w) < 10 AND s.state = 0 AND ",
            index,
            "ORDER BY s.id + 0 DESC LIMIT 10)) m JOIN contacts c ON c.id = m.id",
        ] {
            assert!(pg.sql.contains(part), "{part} not in {}", pg.sql);
        }
        // The walk is skipped when the trigram counts bound the matches below the threshold.
        for part in [
            "WITH b AS MATERIALIZED (SELECT CASE WHEN EXISTS (SELECT 1 FROM search_trigram_counts WHERE trigram = '')",
            "unnest(show_trgm((SELECT $7::text)))",
            "WHERE coalesce((SELECT n FROM b), 1000) >= 1000 AND s.state = 0 AND strpos",
        ] {
            assert!(pg.sql.contains(part), "{part} not in {}", pg.sql);
        }
        // LIKE patterns first, then the bare words (no LIKE wildcards) for strpos, then all the
        // bare words for the trigram bound.
        let values = pg.values.unwrap().0;
        assert_eq!(values.len(), 7);
        assert_eq!((&values[2], &values[5]), (&Value::from("%jo%"), &Value::from("jo")));
        assert_eq!(values[6], Value::from("smith acme jo"));

        // The list's search (up to 1,000 ids) goes to the index at once; the trash has state 1.
        let list = exact_statement(DatabaseBackend::Postgres, &words, "c.id", 1000, true);
        assert!(
            list.sql.starts_with("SELECT c.id FROM (SELECT s.id FROM contact_search s WHERE s.state = 1 AND ")
                && list.sql.contains(index)
                && !list.sql.contains("strpos")
                && list.sql.contains("ORDER BY s.id + 0 DESC LIMIT 1000) m JOIN contacts c"),
            "{}",
            list.sql
        );
    }
}
