//! Full duplicate scans: a background job (the `duplicate_scans` row is the job and its progress,
//! so any request on any instance can poll it) that
//!
//! 1. backfills the blocking keys of live contacts that have none (created before the keys
//!    existed, or imported straight into the database),
//! 2. finds every duplicate pair with the batch pipeline of the `dedup` crate (normalise → block →
//!    score; never all pairs), and
//! 3. records the pairs not stored yet as `pending`. A pair already stored keeps its status, so
//!    an ignored pair never comes back and a merged one stays merged.
//!
//! `POST /api/v1/duplicates/scan` (administrators) starts one with [`start`]; `cardcrm dedup
//! scan` runs the same [`run`] in the foreground.

use crate::dto::DuplicateScan;
use crate::platform::db::placeholder;
use crate::{Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::duplicate_scan;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    Statement, Value,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Contacts whose keys are backfilled per query + transaction.
const KEY_BATCH: u64 = 5000;
/// Contacts loaded per query for matching.
const LOAD_BATCH: u64 = 10_000;
/// Contacts normalised, or candidate pairs scored, per step (one progress update each).
const STEP: usize = 1 << 15;
/// Pairs written per INSERT.
const INSERT_ROWS: usize = 200;
/// Keys written per INSERT (two bound values each).
const KEY_ROWS: usize = 2000;
/// A queued or running scan with no progress for this long was interrupted (the process ended).
const STALE_SECS: i64 = 600;

/// Where each phase sits on the overall progress bar: (phase, start, share).
const PHASES: [(&str, f32, f32); 6] = [
    ("queued", 0.0, 0.0),
    ("keys", 0.0, 0.15),
    ("load", 0.15, 0.35),
    ("normalize", 0.5, 0.1),
    ("score", 0.6, 0.25),
    ("record", 0.85, 0.15),
];

fn view(m: duplicate_scan::Model) -> DuplicateScan {
    let progress = if m.status == "done" {
        1.0
    } else {
        let (start, share) = PHASES
            .iter()
            .find(|p| p.0 == m.phase)
            .map(|p| (p.1, p.2))
            .unwrap_or(if m.phase == "block" { (0.6, 0.0) } else { (0.0, 0.0) });
        let frac = if m.total > 0 { (m.done as f32 / m.total as f32).clamp(0.0, 1.0) } else { 0.0 };
        start + share * frac
    };
    DuplicateScan {
        id: m.id,
        status: m.status,
        phase: m.phase,
        done: m.done,
        total: m.total,
        progress,
        contacts: m.contacts,
        keys_backfilled: m.keys_backfilled,
        pairs_found: m.pairs_found,
        pairs_new: m.pairs_new,
        error: m.error,
        created_at: m.created_at,
        updated_at: m.updated_at,
        finished_at: m.finished_at,
    }
}

/// Creates a queued scan row (`user_id` None for the command line) and returns its id.
pub async fn create_job(svc: &Services, user_id: Option<i64>) -> AppResult<i64> {
    let now = Utc::now();
    let row = duplicate_scan::ActiveModel {
        status: Set("queued".into()),
        phase: Set("queued".into()),
        done: Set(0),
        total: Set(0),
        contacts: Set(0),
        keys_backfilled: Set(0),
        pairs_found: Set(0),
        pairs_new: Set(0),
        error: Set(None),
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&svc.db)
    .await?;
    Ok(row.id)
}

/// Starts a full scan in the background (administrators only). While one is queued or running,
/// that one is returned instead of starting a second.
/// The `settings` row holding the `dedup::KEYS_VERSION` the stored keys were made with (absent:
/// version 1, before the row existed).
pub const KEYS_VERSION_KEY: &str = "duplicate_keys_version";

/// Whether the stored duplicate keys were made by an older key derivation than this build's.
pub async fn keys_outdated(svc: &Services) -> AppResult<bool> {
    let stored = crate::platform::settings::get(svc, KEYS_VERSION_KEY).await?.and_then(|v| v.as_u64()).unwrap_or(1);
    Ok(stored != u64::from(dedup::KEYS_VERSION))
}

/// At start-up: when the stored keys are older than this build's key derivation, a full scan
/// (which recomputes them first) is started in the background, unless one is running. With no
/// contacts the version is simply recorded. Returns the scan started, if any.
pub async fn rekey_if_outdated(svc: &Services) -> AppResult<Option<i64>> {
    if !keys_outdated(svc).await? {
        return Ok(None);
    }
    if crate::contacts::count_live(svc).await? == 0 {
        crate::platform::settings::set_internal(svc, KEYS_VERSION_KEY, serde_json::json!(dedup::KEYS_VERSION)).await?;
        return Ok(None);
    }
    let active = duplicate_scan::Entity::find()
        .filter(duplicate_scan::Column::Status.is_in(["queued", "running"]))
        .filter(duplicate_scan::Column::UpdatedAt.gt(Utc::now() - chrono::Duration::seconds(STALE_SECS)))
        .count(&svc.db)
        .await?;
    if active > 0 {
        return Ok(None);
    }
    let id = create_job(svc, None).await?;
    let bg = svc.clone();
    tokio::spawn(async move {
        if let Err(e) = run(&bg, id).await {
            tracing::error!(scan = id, error = %e, "duplicate scan (new key version) failed");
        }
    });
    tracing::info!(
        scan = id,
        version = dedup::KEYS_VERSION,
        "duplicate keys are from an older version: recomputing them with a full scan"
    );
    Ok(Some(id))
}

pub async fn start(svc: &Services, actor: &Actor) -> AppResult<DuplicateScan> {
    actor.require_admin()?;
    let active = duplicate_scan::Entity::find()
        .filter(duplicate_scan::Column::Status.is_in(["queued", "running"]))
        .order_by_desc(duplicate_scan::Column::Id)
        .all(&svc.db)
        .await?;
    for a in active {
        if (Utc::now() - a.updated_at).num_seconds() < STALE_SECS {
            return Ok(view(a));
        }
        fail(svc, a.id, "interrupted: no progress for 10 minutes (the server stopped?)").await?;
    }
    let id = create_job(svc, Some(actor.user_id)).await?;
    let bg = svc.clone();
    tokio::spawn(async move {
        if let Err(e) = run(&bg, id).await {
            tracing::error!(scan = id, error = %e, "duplicate scan failed");
        }
    });
    get(svc, actor, id).await
}

pub async fn get(svc: &Services, _actor: &Actor, id: i64) -> AppResult<DuplicateScan> {
    by_id(svc, id).await
}

/// A scan's row as progress (for the command line, which has no signed-in user).
pub async fn by_id(svc: &Services, id: i64) -> AppResult<DuplicateScan> {
    duplicate_scan::Entity::find_by_id(id)
        .one(&svc.db)
        .await?
        .map(view)
        .ok_or_else(|| AppError::not_found("duplicate scan"))
}

/// The most recent scan, if there was one.
pub async fn latest(svc: &Services, _actor: &Actor) -> AppResult<Option<DuplicateScan>> {
    Ok(duplicate_scan::Entity::find().order_by_desc(duplicate_scan::Column::Id).one(&svc.db).await?.map(view))
}

async fn fail(svc: &Services, id: i64, error: &str) -> AppResult<()> {
    duplicate_scan::Entity::update_many()
        .col_expr(duplicate_scan::Column::Status, Expr::value("failed"))
        .col_expr(duplicate_scan::Column::Error, Expr::value(Some(error.to_string())))
        .col_expr(duplicate_scan::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(duplicate_scan::Column::FinishedAt, Expr::value(Some(Utc::now())))
        .filter(duplicate_scan::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Progress of a running scan, written to its row.
struct Job<'a> {
    svc: &'a Services,
    id: i64,
    row: duplicate_scan::Model,
}

impl Job<'_> {
    async fn save(&mut self) -> AppResult<()> {
        self.row.updated_at = Utc::now();
        let r = self.row.clone();
        duplicate_scan::Entity::update_many()
            .col_expr(duplicate_scan::Column::Status, Expr::value(r.status))
            .col_expr(duplicate_scan::Column::Phase, Expr::value(r.phase))
            .col_expr(duplicate_scan::Column::Done, Expr::value(r.done))
            .col_expr(duplicate_scan::Column::Total, Expr::value(r.total))
            .col_expr(duplicate_scan::Column::Contacts, Expr::value(r.contacts))
            .col_expr(duplicate_scan::Column::KeysBackfilled, Expr::value(r.keys_backfilled))
            .col_expr(duplicate_scan::Column::PairsFound, Expr::value(r.pairs_found))
            .col_expr(duplicate_scan::Column::PairsNew, Expr::value(r.pairs_new))
            .col_expr(duplicate_scan::Column::UpdatedAt, Expr::value(r.updated_at))
            .col_expr(duplicate_scan::Column::FinishedAt, Expr::value(r.finished_at))
            .filter(duplicate_scan::Column::Id.eq(self.id))
            .exec(&self.svc.db)
            .await?;
        Ok(())
    }
    async fn phase(&mut self, phase: &str, total: i64) -> AppResult<()> {
        self.row.phase = phase.into();
        self.row.done = 0;
        self.row.total = total;
        self.save().await
    }
    async fn step(&mut self, done: i64) -> AppResult<()> {
        self.row.done = done;
        self.save().await
    }
}

fn join_err(e: tokio::task::JoinError) -> AppError {
    AppError::Internal(format!("duplicate scan worker: {e}"))
}

/// Runs scan `id` to the end, recording progress in its row; on error the row says `failed`.
pub async fn run(svc: &Services, id: i64) -> AppResult<DuplicateScan> {
    match run_inner(svc, id).await {
        Ok(()) => {}
        Err(e) => {
            let text = match &e {
                AppError::Internal(t) => t.clone(),
                other => other.to_string(),
            };
            fail(svc, id, &text).await?;
            return Err(e);
        }
    }
    duplicate_scan::Entity::find_by_id(id).one(&svc.db).await?.map(view).ok_or_else(|| AppError::not_found("scan"))
}

async fn run_inner(svc: &Services, id: i64) -> AppResult<()> {
    let row = duplicate_scan::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("scan"))?;
    let mut job = Job { svc, id, row };
    job.row.status = "running".into();
    let s = crate::contacts::matching::match_settings(svc).await?;
    let db = &svc.db;
    let backend = db.get_database_backend();

    // 1. Keys for live contacts that have none — or for every live contact when the stored keys
    // were made by an older key derivation (`dedup::KEYS_VERSION`): the old kinds are unchanged
    // (their inserts are no-ops), the new kinds are added.
    let rekey = keys_outdated(svc).await?;
    let missing_where = if rekey {
        "c.deleted_at IS NULL AND c.merged_into_id IS NULL"
    } else {
        "c.deleted_at IS NULL AND c.merged_into_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM contact_keys k WHERE k.contact_id = c.id)"
    };
    let count_sql = format!("SELECT COUNT(*) FROM contacts c WHERE {missing_where}");
    let missing: i64 = match db.query_one_raw(Statement::from_string(backend, count_sql)).await? {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    job.phase("keys", missing).await?;
    let mut cursor = 0i64;
    let mut done = 0i64;
    let by_id = crate::contacts::matching::contacts_by_id(backend);
    let ids_sql = format!(
        "SELECT c.id FROM {by_id} WHERE {missing_where} AND c.id > {} ORDER BY c.id LIMIT {KEY_BATCH}",
        placeholder(backend, 1)
    );
    loop {
        // One query reads the batch (contacts + phones + e-mails); keys are computed here.
        let loaded = crate::contacts::matching::load_light(db, &ids_sql, vec![Value::from(cursor)], None).await?;
        let Some(last) = loaded.last().map(|l| l.input.id) else { break };
        cursor = last;
        let count = loaded.len();
        let s2 = s.clone();
        let (rows, with_keys) = tokio::task::spawn_blocking(move || {
            let mut rows: Vec<(i64, String)> = Vec::with_capacity(count * 8);
            let mut with_keys = 0i64;
            for l in &loaded {
                let keys = dedup::blocking_keys(&dedup::normalize(&l.input, &s2));
                with_keys += i64::from(!keys.is_empty());
                rows.extend(keys.into_iter().map(|k| (l.input.id, k)));
            }
            // In key order: the inserts walk the key index front to back instead of at random.
            rows.sort_unstable_by(|x, y| x.1.cmp(&y.1));
            (rows, with_keys)
        })
        .await
        .map_err(join_err)?;
        job.row.keys_backfilled += with_keys;
        // These contacts have no keys: multi-row inserts, no deletes, one transaction per batch.
        let txn = crate::platform::db::begin_write(db).await?;
        for chunk in rows.chunks(KEY_ROWS) {
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 2);
            let mut tuples: Vec<String> = Vec::with_capacity(chunk.len());
            for (id, key) in chunk {
                values.push((*id).into());
                values.push(key.clone().into());
                tuples.push(format!(
                    "({}, {})",
                    placeholder(backend, values.len() - 1),
                    placeholder(backend, values.len())
                ));
            }
            let sql = format!(
                "INSERT INTO contact_keys (contact_id, key) VALUES {} ON CONFLICT (contact_id, key) DO NOTHING",
                tuples.join(", ")
            );
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        }
        txn.commit().await?;
        done += count as i64;
        job.step(done).await?;
    }

    if rekey {
        crate::platform::settings::set_internal(svc, KEYS_VERSION_KEY, serde_json::json!(dedup::KEYS_VERSION)).await?;
        tracing::info!(
            version = dedup::KEYS_VERSION,
            contacts = done,
            "duplicate keys recomputed for a new key version"
        );
    }

    // 2. Every live contact, in the dedup crate's shape: one query per batch.
    let live_where = "c.deleted_at IS NULL AND c.merged_into_id IS NULL";
    let count_sql = format!("SELECT COUNT(*) FROM contacts c WHERE {live_where}");
    let total: i64 = match db.query_one_raw(Statement::from_string(backend, count_sql)).await? {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    job.row.contacts = total;
    job.phase("load", total).await?;
    let mut inputs: Vec<dedup::ContactInput> = Vec::with_capacity(total as usize);
    let ids_sql = format!(
        "SELECT c.id FROM {by_id} WHERE {live_where} AND c.id > {} ORDER BY c.id LIMIT {LOAD_BATCH}",
        placeholder(backend, 1)
    );
    let mut cursor = 0i64;
    loop {
        let loaded = crate::contacts::matching::load_light(db, &ids_sql, vec![Value::from(cursor)], None).await?;
        let Some(last) = loaded.last().map(|l| l.input.id) else { break };
        cursor = last;
        inputs.extend(loaded.into_iter().map(|l| l.input));
        job.step(inputs.len() as i64).await?;
    }

    // 3. Normalise, block, score: CPU work off the async threads, in steps for the progress bar.
    let inputs = Arc::new(inputs);
    let n = inputs.len();
    job.phase("normalize", n as i64).await?;
    let mut norm: Vec<dedup::Normalized> = Vec::with_capacity(n);
    for start in (0..n).step_by(STEP) {
        let (part, s2) = (inputs.clone(), s.clone());
        let end = (start + STEP).min(n);
        norm.extend(
            tokio::task::spawn_blocking(move || dedup::normalize_all(&part[start..end], &s2))
                .await
                .map_err(join_err)?,
        );
        job.step(end as i64).await?;
    }
    drop(inputs);
    let norm = Arc::new(norm);
    job.phase("block", 1).await?;
    let (n2, s2) = (norm.clone(), s.clone());
    let (cands, _stats) =
        tokio::task::spawn_blocking(move || dedup::candidate_pairs(&n2, &s2)).await.map_err(join_err)?;
    let cands = Arc::new(cands);
    job.phase("score", cands.len() as i64).await?;
    let mut pairs: Vec<dedup::Pair> = Vec::new();
    for start in (0..cands.len()).step_by(STEP) {
        let end = (start + STEP).min(cands.len());
        let (n2, c2, s2) = (norm.clone(), cands.clone(), s.clone());
        pairs.extend(
            tokio::task::spawn_blocking(move || dedup::score_candidates(&n2, &c2[start..end], &s2))
                .await
                .map_err(join_err)?,
        );
        job.step(end as i64).await?;
    }
    pairs.sort_unstable_by_key(|p| (p.a, p.b));
    pairs.dedup_by(|p, q| p.a == q.a && p.b == q.b);
    job.row.pairs_found = pairs.len() as i64;

    // 4. Record the pairs not stored yet; stored ones keep their status.
    job.phase("record", pairs.len() as i64).await?;
    let index: HashMap<i64, usize> = norm.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let mut written = 0i64;
    for chunk in pairs.chunks(INSERT_ROWS) {
        let now = Utc::now();
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        let mut rows: Vec<String> = Vec::with_capacity(chunk.len());
        for p in chunk {
            let fields = match (index.get(&p.a), index.get(&p.b)) {
                (Some(&i), Some(&j)) => crate::contacts::matching::fields_json(&dedup::score(&norm[i], &norm[j], &s)),
                _ => "[]".to_string(),
            };
            let base = values.len();
            values.extend([p.a.into(), p.b.into(), p.score.into(), fields.into(), now.into(), now.into()]);
            let ph: Vec<String> = (1..=6).map(|k| placeholder(backend, base + k)).collect();
            rows.push(format!("({}, {}, {}, {}, 'pending', {}, {})", ph[0], ph[1], ph[2], ph[3], ph[4], ph[5]));
        }
        let sql = format!(
            "INSERT INTO duplicate_pairs (a_id, b_id, score, match_fields, status, created_at, updated_at) VALUES {} \
             ON CONFLICT (a_id, b_id) DO NOTHING",
            rows.join(", ")
        );
        job.row.pairs_new +=
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected() as i64;
        written += chunk.len() as i64;
        job.step(written).await?;
    }
    job.row.status = "done".into();
    job.row.phase = "done".into();
    job.row.finished_at = Some(Utc::now());
    job.save().await?;
    metrics::counter!("duplicate_scans_total").increment(1);
    metrics::gauge!("duplicate_pairs_found").set(job.row.pairs_found as f64);
    Ok(())
}
