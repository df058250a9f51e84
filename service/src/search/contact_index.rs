//! The embedded contact index (the `search` crate, tantivy) in front of the database search.
//!
//! The search box (`GET /api/v1/contacts/search`, the UI's quick search, the bots' search) asks
//! the index first: exact words, words as they are typed (prefixes), one or two typos, Cyrillic
//! typed in Latin letters and back, phone digit runs, e-mail addresses — in well under a
//! millisecond on 20,000 contacts (BENCHMARKS.md). The database stays the one source of truth:
//!
//! * **What the index holds.** The live contacts (not the trash, not merged ones), with what the
//!   database search reads: names, company, position and department, website, e-mail addresses
//!   and phone numbers. The hits' rows are read from the database by id (one primary-key
//!   lookup), so what is shown is always the stored contact, and a contact trashed a moment ago
//!   is never shown even if the index has not caught up yet.
//! * **How it follows writes.** `dav_changes` (the CardDAV change numbers, written by database
//!   triggers on every write of a contact, its tags or groups — by this process, another
//!   instance, `cardcrm import`, or raw SQL) is the log. The index records in each commit the
//!   highest change number it holds; catching up reads the changes after it, re-reads those
//!   contacts (with phones and e-mails) and commits. The numbers are committed in order (SQLite
//!   has one writer; PostgreSQL takes an advisory lock in the trigger), so nothing is skipped.
//! * **When.** A background task ([`Follower`]) catches up every [`EVERY`] and builds the whole
//!   index at the first start (in batches of [`BATCH`]). A search after a write of this process
//!   (which calls [`crate::Services::contacts_changed`]), or at most [`RECHECK`] after the last
//!   look (a write of another instance), first counts the changes since the index's number: with
//!   none it answers from the index; with a few (≤ [`INLINE_GAP`]) it catches up itself first;
//!   with more (a first build, a large import) it answers from the database until the follower
//!   has caught up. So a contact saved is found by the next search, on this instance at once.
//! * **When the database answers instead.** The trash's search and the contact list's search
//!   (which pages through up to 1,000 matches) use the database; so does a search the index
//!   finds nothing for, so the database's substring matching (`ova` finds `Petrova`, which the
//!   index, matching words from their start, does not) and its typo step still have their say.
//! * **Rebuilds.** An index written by another format of the `search` crate, or holding a change
//!   number the database has not reached (the database was replaced or restored from an older
//!   backup), is emptied and built again. To force one, stop cardcrm and delete the index's
//!   folder (`<CARDCRM_DATA_DIR>/search-index`). `CARDCRM_SEARCH_INDEX=off` turns the index off;
//!   a second process that finds the folder in use (its writer lock) runs without one.

use crate::platform::background::Task;
use crate::{AppError, AppResult, Services};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Changes read, contacts re-read and committed per step of a catch-up.
pub const BATCH: u64 = 5_000;
/// A search catches the index up itself when at most this many contacts changed since the index's
/// last commit; with more it answers from the database while the follower catches up.
pub const INLINE_GAP: u64 = 200;
/// How often the follower looks for changes.
pub const EVERY: Duration = Duration::from_secs(2);
/// How long a search trusts the last look at the change log when this process wrote nothing
/// since: the bound on how long another instance's write can stay unseen by the index (as the
/// search-box answers are kept, see `crate::search::answer_lifetime`).
pub const RECHECK: Duration = Duration::from_secs(1);

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("search index: {e}"))
}

/// The index, its last change number, and when the change log was last looked at.
pub struct ContactIndex {
    ix: Arc<::search::Index>,
    /// One catch-up at a time (the follower's or a search's); a search never waits for it.
    follow: tokio::sync::Mutex<()>,
    /// The change number of the last commit (cached: the index keeps it in its meta file).
    seen: AtomicI64,
    /// A write of this process since the last look at the change log.
    dirty: AtomicBool,
    /// When the change log was last found to hold nothing newer (ms since `born`).
    current_at: AtomicU64,
    born: Instant,
    recheck: Duration,
}

/// What [`ContactIndex::catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Contacts re-read (indexed or removed).
    pub contacts: usize,
    /// Whether the index now holds every change there was when it looked.
    pub current: bool,
}

impl ContactIndex {
    /// Opens the index in `dir` (created when missing) or, with `None`, a new one in memory
    /// (tests). An index of another format is emptied (the follower builds it again).
    pub fn open(dir: Option<&std::path::Path>) -> AppResult<ContactIndex> {
        if let Some(d) = dir {
            std::fs::create_dir_all(d).map_err(|e| internal(format!("cannot create {}: {e}", d.display())))?;
        }
        let ix = ::search::Index::open_or_create(dir).map_err(internal)?;
        let ix = ContactIndex {
            ix: Arc::new(ix),
            follow: tokio::sync::Mutex::new(()),
            seen: AtomicI64::new(0),
            dirty: AtomicBool::new(true),
            current_at: AtomicU64::new(0),
            born: Instant::now(),
            recheck: RECHECK,
        };
        if !ix.ix.is_current_format().map_err(internal)? {
            tracing::info!("the search index was written by another version: building it again");
            ix.reset_blocking()?;
        }
        ix.seen.store(ix.ix.last_change_id().map_err(internal)?, Ordering::SeqCst);
        Ok(ix)
    }

    /// How long a search trusts the last look at the change log (default [`RECHECK`]; tests of
    /// several instances set 0).
    pub fn with_recheck(mut self, recheck: Duration) -> Self {
        self.recheck = recheck;
        self
    }

    fn reset_blocking(&self) -> AppResult<()> {
        self.ix.clear().map_err(internal)?;
        self.ix.set_last_change_id(0);
        self.ix.commit().map_err(internal)?;
        self.seen.store(0, Ordering::SeqCst);
        Ok(())
    }

    /// The change number the index holds every change up to.
    pub fn change_number(&self) -> i64 {
        self.seen.load(Ordering::SeqCst)
    }

    /// Contacts the index holds.
    pub fn contacts(&self) -> u64 {
        self.ix.num_docs()
    }

    /// A write of this process: the next search looks at the change log first.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    fn now_ms(&self) -> u64 {
        self.born.elapsed().as_millis() as u64
    }

    /// Reads up to `batches` × [`BATCH`] changes after the index's number and applies them.
    pub async fn catch_up<C: ConnectionTrait>(&self, db: &C, batches: usize) -> AppResult<CatchUp> {
        let _turn = self.follow.lock().await;
        self.catch_up_locked(db, batches).await
    }

    async fn catch_up_locked<C: ConnectionTrait>(&self, db: &C, batches: usize) -> AppResult<CatchUp> {
        let mut done = CatchUp::default();
        // Looked before reading, so a write during the catch-up marks it again.
        self.dirty.store(false, Ordering::SeqCst);
        let started = self.now_ms();
        if self.seen.load(Ordering::SeqCst) > max_change(db).await? {
            // The database is behind the index: replaced, or restored from an older backup.
            tracing::warn!("the search index is ahead of the database's change log: building it again");
            let ix = self.ix.clone();
            tokio::task::spawn_blocking(move || -> AppResult<()> {
                ix.clear().map_err(internal)?;
                ix.set_last_change_id(0);
                ix.commit().map_err(internal)
            })
            .await
            .map_err(internal)??;
            self.seen.store(0, Ordering::SeqCst);
        }
        for _ in 0..batches.max(1) {
            let from = self.seen.load(Ordering::SeqCst);
            let changes = changes_after(db, from, BATCH).await?;
            let Some(&(_, top)) = changes.last() else {
                done.current = true;
                break;
            };
            let ids: Vec<i64> = changes.iter().map(|(id, _)| *id).collect();
            let docs = load_docs(db, &ids).await?;
            let live: std::collections::HashSet<i64> = docs.iter().map(|d| d.id).collect();
            let gone: Vec<i64> = ids.iter().copied().filter(|id| !live.contains(id)).collect();
            done.contacts += ids.len();
            let ix = self.ix.clone();
            tokio::task::spawn_blocking(move || -> AppResult<()> {
                ix.delete(&gone).map_err(internal)?;
                ix.upsert(&docs).map_err(internal)?;
                ix.set_last_change_id(top);
                ix.commit().map_err(internal)
            })
            .await
            .map_err(internal)??;
            self.seen.store(top, Ordering::SeqCst);
            if (changes.len() as u64) < BATCH {
                done.current = true;
                break;
            }
        }
        if done.current {
            self.current_at.store(started.max(1), Ordering::SeqCst);
        }
        Ok(done)
    }

    /// Merges the index's segments into one (after a first build or a large import, which leave
    /// one segment per batch: a search walks every segment's term dictionary, so a fuzzy word
    /// costs a multiple of what it costs on one). Searches meanwhile answer from the index as it
    /// was; a catch-up waits.
    pub async fn optimize(&self) -> AppResult<()> {
        let _turn = self.follow.lock().await;
        let ix = self.ix.clone();
        tokio::task::spawn_blocking(move || ix.optimize().map_err(internal)).await.map_err(internal)?
    }

    /// Segments searches walk now.
    pub fn segments(&self) -> usize {
        self.ix.segment_count()
    }

    /// Whether the index may answer a search now, catching up first when only a few contacts
    /// changed (see the module comment). `false`: ask the database.
    async fn ready<C: ConnectionTrait>(&self, db: &C) -> AppResult<bool> {
        let looked = self.current_at.load(Ordering::SeqCst);
        if looked > 0
            && !self.dirty.load(Ordering::SeqCst)
            && self.now_ms().saturating_sub(looked) < self.recheck.as_millis() as u64
        {
            return Ok(true);
        }
        // Never wait behind a catch-up in progress (the follower's first build, say).
        let Ok(_turn) = self.follow.try_lock() else {
            return Ok(false);
        };
        let started = self.now_ms();
        let dirty_before = self.dirty.swap(false, Ordering::SeqCst);
        let pending = changes_after(db, self.seen.load(Ordering::SeqCst), INLINE_GAP + 1).await?.len() as u64;
        if pending == 0 {
            // Once, before the first answer: an index ahead of the database (replaced, restored)
            // would name other contacts; the follower builds it again.
            if looked == 0 && self.seen.load(Ordering::SeqCst) > max_change(db).await? {
                self.dirty.store(true, Ordering::SeqCst);
                return Ok(false);
            }
            self.current_at.store(started.max(1), Ordering::SeqCst);
            return Ok(true);
        }
        if pending > INLINE_GAP {
            if dirty_before {
                self.dirty.store(true, Ordering::SeqCst);
            }
            return Ok(false);
        }
        Ok(self.catch_up_locked(db, 1).await?.current)
    }

    /// Ids of live contacts matching `q`, best first, at most `limit` (≤ 100); `None` when the
    /// index cannot answer now (the database should).
    pub async fn ids<C: ConnectionTrait>(&self, db: &C, q: &str, limit: u64) -> AppResult<Option<Vec<i64>>> {
        if !self.ready(db).await? {
            return Ok(None);
        }
        // Bounded work whatever the query (the crate caps words, their length and the limit).
        Ok(Some(self.ix.search_ids(q, limit.min(::search::MAX_LIMIT as u64) as usize).map_err(internal)?))
    }
}

/// The highest change number in the log (0 when empty).
async fn max_change<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COALESCE(MAX(seq), 0) FROM dav_changes",
        ))
        .await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

/// Up to `limit` (contact id, change number) after `from`, in change order.
async fn changes_after<C: ConnectionTrait>(db: &C, from: i64, limit: u64) -> AppResult<Vec<(i64, i64)>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT contact_id, seq FROM dav_changes WHERE seq > {} ORDER BY seq LIMIT {limit}",
        crate::platform::db::placeholder(backend, 1)
    );
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [Value::from(from)])).await?;
    rows.iter().map(|r| Ok((r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<i64>(1)?))).collect()
}

/// The index's documents of the live contacts among `ids` (a trashed, merged or deleted one has
/// none and is removed from the index).
async fn load_docs<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<::search::ContactDoc>> {
    use entity::{contact, contact_email, contact_phone};
    let mut out = Vec::new();
    // Bound each statement's parameter list (SQLite allows 32,766).
    for chunk in ids.chunks(1_000) {
        let contacts = contact::Entity::find()
            .filter(contact::Column::Id.is_in(chunk.iter().copied()))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(contact::Column::MergedIntoId.is_null())
            .all(db)
            .await?;
        if contacts.is_empty() {
            continue;
        }
        let live: Vec<i64> = contacts.iter().map(|c| c.id).collect();
        let mut phones: HashMap<i64, Vec<String>> = HashMap::new();
        for p in contact_phone::Entity::find()
            .filter(contact_phone::Column::ContactId.is_in(live.iter().copied()))
            .all(db)
            .await?
        {
            let v = phones.entry(p.contact_id).or_default();
            v.push(p.number);
            if let Some(e) = p.e164 {
                v.push(e);
            }
        }
        let mut emails: HashMap<i64, Vec<String>> = HashMap::new();
        for e in contact_email::Entity::find()
            .filter(contact_email::Column::ContactId.is_in(live.iter().copied()))
            .all(db)
            .await?
        {
            emails.entry(e.contact_id).or_default().push(e.address);
        }
        for c in contacts {
            let join =
                |parts: &[&str]| parts.iter().filter(|p| !p.trim().is_empty()).copied().collect::<Vec<_>>().join(" ");
            out.push(::search::ContactDoc {
                id: c.id,
                names: join(&[&c.full_name, &c.prefix, &c.first_name, &c.middle_name, &c.last_name]),
                company: join(&[&c.company, &c.website]),
                position: join(&[&c.position, &c.department]),
                emails: emails.remove(&c.id).unwrap_or_default(),
                phones: phones.remove(&c.id).unwrap_or_default(),
                // As the database search: notes and addresses are not searched.
                notes: String::new(),
                address: String::new(),
            });
        }
    }
    Ok(out)
}

/// The background catch-up of the index (one per server process with an index). Stop it with
/// [`Follower::shutdown`].
pub struct Follower(Task);

impl Follower {
    /// At once (the first build of a new index, in batches, searches answered by the database
    /// meanwhile), then every [`EVERY`]. Does nothing for services without an index.
    pub fn start(svc: Services) -> Follower {
        Follower(Task::spawn(move |mut stopped| async move {
            let Some(index) = svc.index.clone() else { return };
            let mut first = true;
            loop {
                let started = Instant::now();
                let mut read = 0usize;
                // Batch by batch, so a stop is seen between them.
                loop {
                    match index.catch_up(&svc.db, 1).await {
                        Ok(c) if c.current => {
                            read += c.contacts;
                            // A first build or a large import left a segment per batch.
                            if read as u64 >= BATCH && index.segments() > 1 {
                                if let Err(e) = index.optimize().await {
                                    tracing::warn!(error = %e, "cannot merge the search index's segments");
                                }
                            }
                            if first {
                                tracing::info!(
                                    contacts = index.contacts(),
                                    segments = index.segments(),
                                    seconds = started.elapsed().as_secs_f64(),
                                    "search index ready"
                                );
                            }
                            first = false;
                            break;
                        }
                        Ok(c) => read += c.contacts,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot bring the search index up to date");
                            break;
                        }
                    }
                    if *stopped.borrow() {
                        return;
                    }
                    tokio::task::yield_now().await;
                }
                tokio::select! {
                    _ = tokio::time::sleep(EVERY) => {}
                    r = stopped.changed() => if r.is_err() || *stopped.borrow() { break },
                }
            }
        }))
    }

    /// Stop the follower; a batch in hand is committed first.
    pub async fn shutdown(self) {
        self.0.shutdown().await
    }
}
