//! Upkeep of SQLite's search index (the FTS5 table `contacts_fts`).
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
//! PostgreSQL needs none of this: its trigram index's pending list is autovacuum's work.

use crate::background::Task;
use crate::{AppResult, Services};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};
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
        let txn = db.begin().await?;
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

/// The background merger of the search index; one per server process (SQLite only: on
/// PostgreSQL it never starts a task). Stop it with [`Upkeep::shutdown`].
pub struct Upkeep(Option<Task>);

impl Upkeep {
    /// Every [`EVERY`], merge what the writes since the last pass (by this process or another,
    /// such as `cardcrm import`) left; a pass with nothing to merge costs one short transaction.
    pub fn start(svc: Services) -> Upkeep {
        Upkeep((svc.db.get_database_backend() == DatabaseBackend::Sqlite).then(|| {
            Task::spawn(|mut stopped| async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(EVERY) => {}
                        r = stopped.changed() => if r.is_err() || *stopped.borrow() { break },
                    }
                    match merge(&svc.db).await {
                        Ok(0) => {}
                        Ok(steps) => tracing::debug!(steps, "merged the search index"),
                        Err(e) => tracing::warn!(error = %e, "cannot merge the search index"),
                    }
                }
            })
        }))
    }

    /// Stop the merger; a step in progress finishes first.
    pub async fn shutdown(self) {
        if let Some(task) = self.0 {
            task.shutdown().await
        }
    }
}
