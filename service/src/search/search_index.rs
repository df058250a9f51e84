//! Upkeep of the search index: SQLite's FTS5 table `contacts_fts` is merged, PostgreSQL's
//! trigram counts (`search_trigram_counts`) are refilled.
//!
//! Every transaction that writes a contact adds a small segment to the index, and FTS5's own
//! merging (`automerge`) still leaves many segments after many small writes; every search probes
//! each of them. On 100,000 contacts imported one by one, the exact search for `engineer` took
//! 0.94 ms (SQLite 3.51, one connection, the statement the search box runs) and 0.14 ms once the
//! segments were merged into one; `müller` 0.47 → 0.05 ms (BENCHMARKS.md, issue 2).
//!
//! So the server merges them in the background ([`Upkeep`]), and `cardcrm import` at its end: in
//! short steps (FTS5's incremental `merge` command, at most [`MERGE_PAGES`] pages each, one
//! transaction each), so a contact write waits at most one step, never a whole rebuild.
//! PostgreSQL's trigram index needs none of this (its pending list is autovacuum's work); there
//! the upkeep refills the trigram counts that bound how many contacts a search word can match
//! ([`refresh_trigram_counts`], read by `search`), when the contacts' search texts have seen
//! enough writes since the last count ([`trigram_counts_stale`]).

use crate::platform::background::Task;
use crate::{AppResult, Services};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use std::time::Duration;

/// At most this many index pages are written by one merge step (FTS5 pages are ~4 KB).
pub const MERGE_PAGES: u32 = 500;
/// A bound on the steps of one [`merge`] call, so writes that never stop cannot keep it busy.
const MAX_STEPS: usize = 10_000;
/// How often the server looks for segments to merge.
const EVERY: Duration = Duration::from_secs(30);

async fn total_changes<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, "SELECT total_changes()"))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("total_changes() returned no row".into()))?;
    Ok(row.try_get_by_index(0)?)
}

/// Merges the search index's segments into one, step by step (see the module comment), and
/// returns how many steps did work: 0 when there was nothing to merge, and on PostgreSQL.
pub async fn merge(db: &DatabaseConnection) -> AppResult<usize> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(0);
    }
    let step = format!("INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('merge', -{MERGE_PAGES})");
    let mut steps = 0;
    while steps < MAX_STEPS {
        // `total_changes()` counts per connection: the transaction keeps the step and both
        // readings on one. FTS5 documents a difference of 2 or more as "work was done".
        let txn = crate::platform::db::begin_write(db).await?;
        let before = total_changes(&txn).await?;
        txn.execute_unprepared(&step).await?;
        let after = total_changes(&txn).await?;
        txn.commit().await?;
        if after - before < 2 {
            break;
        }
        steps += 1;
        // Let the requests waiting for the database in between steps.
        tokio::task::yield_now().await;
    }
    Ok(steps)
}

/// `contact_search`'s write counter (rows inserted, updated and deleted since the statistics
/// were last reset), as PostgreSQL's cumulative statistics report it.
const WRITES: &str = "(SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint \
     FROM pg_stat_user_tables WHERE relid = 'contact_search'::regclass)";

/// The trigrams of the text `text` (an SQL expression) that are counted, as rows of one column
/// `g`: `show_trgm`'s, without those padded with spaces at a word's edge (a word inside a longer
/// one does not have them). The counts and the bounds read from them both use this.
fn counted_trigrams(text: &str) -> String {
    format!("SELECT g FROM unnest(show_trgm({text})) g WHERE strpos(g, ' ') = 0")
}

/// PostgreSQL: a scalar `SELECT` of how many contacts at most hold every one of `words` (an SQL
/// text expression, the words separated by spaces) as a substring, by the last count: the
/// smallest count among their trigrams, a trigram missing from a filled table counting 0 (no
/// contact held it then). NULL when the counts were never made, or the words have no trigram.
pub fn match_bound(words: &str) -> String {
    format!(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM search_trigram_counts WHERE trigram = '') \
         THEN (SELECT min(coalesce(t.contacts, 0)) FROM ({}) q \
         LEFT JOIN search_trigram_counts t ON t.trigram = q.g) END",
        counted_trigrams(words)
    )
}

/// PostgreSQL: whether the trigram counts are missing, or have missed more writes than a
/// twentieth of the contacts (at least 500). Always false on SQLite.
pub async fn trigram_counts_stale(db: &DatabaseConnection) -> AppResult<bool> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
    }
    let sql = format!(
        "SELECT m.contacts IS NULL OR m.writes < m.contacts \
                OR m.writes - m.contacts >= greatest(500, (SELECT reltuples FROM pg_class WHERE oid = 'contact_search'::regclass) / 20) \
         FROM (SELECT (SELECT contacts FROM search_trigram_counts WHERE trigram = '') AS contacts, {WRITES} AS writes) m"
    );
    let row = db.query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql)).await?;
    Ok(row.map(|r| r.try_get_by_index::<bool>(0)).transpose()?.unwrap_or(true))
}

/// PostgreSQL: counts again, for every trigram of the search texts (live, trashed and merged
/// contacts alike, so the bound holds for the trash's search too), how many contacts hold it, in
/// one transaction (searches see the old counts until it commits). About 3.5 s of the database's
/// CPU per 100,000 contacts. Returns false, doing nothing, on SQLite and when another process is
/// counting at the same time.
pub async fn refresh_trigram_counts(db: &DatabaseConnection) -> AppResult<bool> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
    }
    let pg = |sql: &str| Statement::from_string(DatabaseBackend::Postgres, sql);
    let txn = crate::platform::db::begin_write(db).await?;
    // One counter at a time (several server processes can share a database).
    let locked = txn.query_one_raw(pg("SELECT pg_try_advisory_xact_lock(7236105845517153123)")).await?;
    if !locked.map(|r| r.try_get_by_index::<bool>(0)).transpose()?.unwrap_or(false) {
        return Ok(false);
    }
    txn.execute_raw(pg("DELETE FROM search_trigram_counts")).await?;
    txn.execute_raw(pg(&format!("INSERT INTO search_trigram_counts (trigram, contacts) VALUES ('', {WRITES})")))
        .await?;
    txn.execute_raw(pg(&format!(
        "INSERT INTO search_trigram_counts (trigram, contacts) \
         SELECT q.g, count(*) FROM contact_search s, LATERAL ({}) q GROUP BY q.g",
        counted_trigrams("s.search_text")
    )))
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// One pass of the upkeep: SQLite merges the index's segments, PostgreSQL refills stale counts.
async fn pass(db: &DatabaseConnection) {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => match merge(db).await {
            Ok(0) => {}
            Ok(steps) => tracing::debug!(steps, "merged the search index"),
            Err(e) => tracing::warn!(error = %e, "cannot merge the search index"),
        },
        DatabaseBackend::Postgres => {
            let refreshed = match trigram_counts_stale(db).await {
                Ok(true) => refresh_trigram_counts(db).await,
                other => other.map(|_| false),
            };
            match refreshed {
                Ok(false) => {}
                Ok(true) => tracing::debug!("counted the search text's trigrams"),
                Err(e) => tracing::warn!(error = %e, "cannot count the search text's trigrams"),
            }
        }
        _ => {}
    }
}

/// The background upkeep of the search index; one per server process. Stop it with
/// [`Upkeep::shutdown`].
pub struct Upkeep(Task);

impl Upkeep {
    /// Every [`EVERY`] (PostgreSQL: also at once), do what the writes since the last pass (by this
    /// process or another, such as `cardcrm import`) call for; a pass with nothing to do costs one
    /// short statement or transaction.
    pub fn start(svc: Services) -> Upkeep {
        let postgres = svc.db.get_database_backend() == DatabaseBackend::Postgres;
        Upkeep(Task::spawn(move |mut stopped| async move {
            if postgres {
                pass(&svc.db).await;
            }
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(EVERY) => {}
                    r = stopped.changed() => if r.is_err() || *stopped.borrow() { break },
                }
                pass(&svc.db).await;
            }
        }))
    }

    /// Stop the upkeep; a merge step or a count in progress finishes first.
    pub async fn shutdown(self) {
        self.0.shutdown().await
    }
}
