//! Scheduled maintenance, run by one instance at a time.
//!
//! Jobs ([`JOBS`]): expired refresh tokens and link codes removed; handled `bot_updates` older
//! than [`BOT_UPDATE_RETENTION_DAYS`] days pruned; scan rows of contacts that no longer exist and
//! abandoned drafts (scans never saved to a contact, untouched for the draft retention) removed,
//! then image files on disk that no scan refers to; and, when the administrators turn it on
//! ([`NIGHTLY_DUPLICATE_SCAN`]), a nightly full duplicate scan.
//!
//! Every job runs once per period: the interval jobs once per [`MaintenanceOptions::interval`]
//! slot (slots count from the Unix epoch, so every instance agrees on them), the duplicate scan
//! once per UTC day from [`MaintenanceOptions::nightly_hour`]. A run is claimed by inserting its
//! `maintenance_runs` row, whose `(job, period)` is unique: of several instances sharing the
//! database, exactly one insert succeeds (SQLite and PostgreSQL alike) and only that instance
//! runs the job for the period. The row then records when, where, the outcome and how many rows
//! and files were removed; the admin status page shows the last run of each job.

use crate::admin_dto::{MaintenanceJob, MaintenanceRun};
use crate::platform::background::Task;
use crate::platform::db::statement as stmt;
use crate::platform::error::EnvError;
use crate::{platform::settings, Actor, AppError, AppResult, Services};
use chrono::{DateTime, Duration as ChronoDuration, Timelike, Utc};
use entity::{card_scan, duplicate_scan, maintenance_run, refresh_token};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Value,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

pub const REFRESH_TOKENS: &str = "refresh_tokens";
pub const LINK_CODES: &str = "link_codes";
pub const BOT_UPDATES: &str = "bot_updates";
pub const SCAN_IMAGES: &str = "scan_images";
pub const DUPLICATE_SCAN: &str = "duplicate_scan";
pub const IMPORT_FILES: &str = "import_files";

/// Every job and what it does, in the order they run.
pub const JOBS: [(&str, &str); 6] = [
    (REFRESH_TOKENS, "expired refresh tokens removed"),
    (LINK_CODES, "expired Telegram/WhatsApp link codes removed"),
    (BOT_UPDATES, "handled bot updates older than 30 days pruned"),
    (SCAN_IMAGES, "scans of deleted contacts, abandoned scan drafts and image files no scan refers to removed"),
    (IMPORT_FILES, "uploaded import files removed once imported, or a day after an unapplied preview"),
    (DUPLICATE_SCAN, "full duplicate scan, nightly (admin setting, off by default)"),
];

/// Handled bot updates are kept this long.
pub const BOT_UPDATE_RETENTION_DAYS: i64 = 30;
/// Setting key (JSON boolean) of the nightly duplicate scan.
pub const NIGHTLY_DUPLICATE_SCAN: &str = "nightly_duplicate_scan";
/// Runs of a job older than this are deleted from `maintenance_runs`.
const RUN_HISTORY_DAYS: i64 = 90;

/// When and how the jobs run; [`MaintenanceOptions::from_env`] in a server, tests set fields.
#[derive(Clone, Debug)]
pub struct MaintenanceOptions {
    /// How often the interval jobs run (`CARDCRM_MAINTENANCE_INTERVAL`, e.g. `1h`, `30m`; default 1 h).
    pub interval: Duration,
    /// A scan never saved to a contact is removed this long after it was last touched
    /// (`CARDCRM_SCAN_DRAFT_RETENTION`, e.g. `30d`; default 30 days).
    pub draft_retention: Duration,
    /// Image files younger than this are left alone (an upload writes the file just before its row).
    pub file_grace: Duration,
    /// The UTC hour from which the nightly duplicate scan may start (`CARDCRM_MAINTENANCE_NIGHTLY_HOUR`, default 3).
    pub nightly_hour: u32,
    /// How this process names itself in `maintenance_runs` (host name and process id).
    pub instance: String,
    /// How often the loop looks whether a period has started.
    pub tick: Duration,
}

impl Default for MaintenanceOptions {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.trim().is_empty())
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        MaintenanceOptions {
            interval: Duration::from_secs(3600),
            draft_retention: Duration::from_secs(30 * 86400),
            file_grace: Duration::from_secs(3600),
            nightly_hour: 3,
            instance: format!("{host}:{}", std::process::id()),
            tick: Duration::from_secs(60),
        }
    }
}

const INTERVAL_ENV: &str = "CARDCRM_MAINTENANCE_INTERVAL";
const DRAFT_RETENTION_ENV: &str = "CARDCRM_SCAN_DRAFT_RETENTION";
const NIGHTLY_HOUR_ENV: &str = "CARDCRM_MAINTENANCE_NIGHTLY_HOUR";

impl MaintenanceOptions {
    /// The defaults changed by the environment; an invalid value is an error naming the variable.
    pub fn from_env() -> Result<MaintenanceOptions, EnvError> {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut o = MaintenanceOptions::default();
        if let Some(v) = var(INTERVAL_ENV) {
            o.interval = crate::scans::parse_duration(&v)
                .ok()
                .filter(|d| *d >= Duration::from_secs(60))
                .ok_or_else(|| EnvError::new(INTERVAL_ENV, format!("'{v}' (at least 60s, e.g. 1h)")))?;
        }
        if let Some(v) = var(DRAFT_RETENTION_ENV) {
            o.draft_retention =
                crate::scans::parse_duration(&v).map_err(|e| EnvError::new(DRAFT_RETENTION_ENV, e.to_string()))?;
        }
        if let Some(v) = var(NIGHTLY_HOUR_ENV) {
            o.nightly_hour = v
                .parse::<u32>()
                .ok()
                .filter(|h| *h < 24)
                .ok_or_else(|| EnvError::new(NIGHTLY_HOUR_ENV, format!("'{v}' (0-23, UTC)")))?;
        }
        o.tick = o.tick.min(o.interval);
        Ok(o)
    }
}

/// The period a job's run at `now` belongs to; `None` when the job is not due at all now.
fn period(job: &str, opts: &MaintenanceOptions, now: DateTime<Utc>) -> Option<String> {
    if job == DUPLICATE_SCAN {
        return (now.hour() >= opts.nightly_hour).then(|| now.format("%Y-%m-%d").to_string());
    }
    let secs = opts.interval.as_secs().max(1) as i64;
    Some(format!("{secs}s#{}", now.timestamp().div_euclid(secs)))
}

/// Claims the run of `job` for `period` for `instance`: the id of the new `maintenance_runs` row,
/// or `None` when another instance (or an earlier run here) has it. Safe with any number of
/// instances at once: the unique `(job, period)` lets exactly one insert through.
pub async fn claim(
    svc: &Services,
    job: &str,
    period: &str,
    instance: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<i64>> {
    let row = maintenance_run::ActiveModel {
        job: Set(job.into()),
        period: Set(period.into()),
        instance: Set(instance.into()),
        started_at: Set(now),
        finished_at: Set(None),
        outcome: Set("running".into()),
        removed: Set(0),
        detail: Set(String::new()),
        ..Default::default()
    };
    let inserted = maintenance_run::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([maintenance_run::Column::Job, maintenance_run::Column::Period])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&svc.db)
        .await?;
    if inserted != 1 {
        return Ok(None);
    }
    let mine = maintenance_run::Entity::find()
        .filter(maintenance_run::Column::Job.eq(job))
        .filter(maintenance_run::Column::Period.eq(period))
        .filter(maintenance_run::Column::Instance.eq(instance))
        .one(&svc.db)
        .await?;
    Ok(mine.map(|m| m.id))
}

/// Records how a claimed run ended.
async fn finish(svc: &Services, id: i64, outcome: &str, removed: u64, detail: &str) -> AppResult<()> {
    maintenance_run::Entity::update_many()
        .col_expr(maintenance_run::Column::FinishedAt, Expr::value(Some(Utc::now())))
        .col_expr(maintenance_run::Column::Outcome, Expr::value(outcome))
        .col_expr(maintenance_run::Column::Removed, Expr::value(removed.min(i64::MAX as u64) as i64))
        .col_expr(maintenance_run::Column::Detail, Expr::value(detail.chars().take(2000).collect::<String>()))
        .filter(maintenance_run::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    Ok(())
}

async fn execute(svc: &Services, sql: &str, values: Vec<Value>) -> AppResult<u64> {
    Ok(svc.db.execute_raw(stmt(svc.db.get_database_backend(), sql, values)).await?.rows_affected())
}

/// Refresh tokens past their expiry (they can no longer be used, rotated or not).
pub async fn remove_expired_refresh_tokens(svc: &Services, now: DateTime<Utc>) -> AppResult<(u64, String)> {
    let n = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now))
        .exec(&svc.db)
        .await?
        .rows_affected;
    Ok((n, format!("{n} expired refresh tokens removed")))
}

/// Link codes past their expiry (used or not).
pub async fn remove_expired_link_codes(svc: &Services, now: DateTime<Utc>) -> AppResult<(u64, String)> {
    let n = execute(svc, "DELETE FROM integration_link_codes WHERE expires_at < ?", vec![now.into()]).await?;
    Ok((n, format!("{n} expired link codes removed")))
}

/// Bot updates finished (`done` or `failed`) more than [`BOT_UPDATE_RETENTION_DAYS`] ago; pending
/// ones are kept whatever their age.
pub async fn prune_bot_updates(svc: &Services, now: DateTime<Utc>) -> AppResult<(u64, String)> {
    let cutoff = now - ChronoDuration::days(BOT_UPDATE_RETENTION_DAYS);
    let n = execute(
        svc,
        "DELETE FROM bot_updates WHERE status IN ('done', 'failed') AND updated_at < ?",
        vec![cutoff.into()],
    )
    .await?;
    Ok((n, format!("{n} handled bot updates older than {BOT_UPDATE_RETENTION_DAYS} days pruned")))
}

/// Scan rows of contacts that no longer exist, abandoned drafts (never saved to a contact,
/// finished and untouched for `opts.draft_retention`), then image files under `<data>/scans` that
/// no scan refers to (and left-over `.tmp` files), older than `opts.file_grace`. A scan still
/// queued or being read, and the scans of contacts in the trash, are kept.
pub async fn remove_orphaned_scans(
    svc: &Services,
    opts: &MaintenanceOptions,
    now: DateTime<Utc>,
) -> AppResult<(u64, String)> {
    let of_deleted = execute(
        svc,
        "DELETE FROM card_scans WHERE contact_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = card_scans.contact_id)",
        vec![],
    )
    .await?;
    let cutoff = now - ChronoDuration::from_std(opts.draft_retention).unwrap_or_else(|_| ChronoDuration::days(30));
    let drafts = card_scan::Entity::delete_many()
        .filter(card_scan::Column::ContactId.is_null())
        .filter(card_scan::Column::Status.is_in([crate::scans::DONE, crate::scans::FAILED]))
        .filter(card_scan::Column::UpdatedAt.lt(cutoff))
        .exec(&svc.db)
        .await?
        .rows_affected;
    let files = remove_unreferenced_files(svc, opts.file_grace).await?;
    Ok((
        of_deleted + drafts + files,
        format!("{of_deleted} scans of deleted contacts, {drafts} abandoned drafts, {files} image files removed"),
    ))
}

/// Whether a file was last written (or touched by a new upload of the same image) within `grace`.
fn recent(path: &Path, grace: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| t.elapsed().map(|age| age < grace).unwrap_or(true))
        .unwrap_or(true)
}

async fn remove_unreferenced_files(svc: &Services, grace: Duration) -> AppResult<u64> {
    let dir = svc.scans.data_dir().join("scans");
    let listed = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || -> Vec<(String, std::path::PathBuf)> {
            let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| !recent(&e.path(), grace))
                .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
                .collect()
        })
        .await
        .map_err(|e| AppError::Internal(format!("cannot list the scan images: {e}")))?
    };
    if listed.is_empty() {
        return Ok(0);
    }
    let referenced: HashSet<String> = card_scan::Entity::find()
        .select_only()
        .column(card_scan::Column::ImagePath)
        .distinct()
        .into_tuple::<String>()
        .all(&svc.db)
        .await?
        .into_iter()
        .collect();
    let mut removed = 0;
    for (name, path) in listed {
        let rel = format!("scans/{name}");
        if referenced.contains(&rel) {
            continue;
        }
        if !name.ends_with(".tmp") {
            // Looked at again just before: an upload of the same image may have come meanwhile
            // (it renews the file's time and, finding the file gone after its row, writes it again).
            let still_unused =
                card_scan::Entity::find().filter(card_scan::Column::ImagePath.eq(rel.as_str())).count(&svc.db).await?
                    == 0;
            if !still_unused || recent(&path, grace) {
                continue;
            }
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove an unreferenced scan image"),
        }
    }
    Ok(removed)
}

/// Whether the administrators turned the nightly duplicate scan on.
pub async fn nightly_duplicate_scan(svc: &Services) -> AppResult<bool> {
    Ok(settings::get(svc, NIGHTLY_DUPLICATE_SCAN).await?.and_then(|v| v.as_bool()).unwrap_or(false))
}

/// Turns the nightly duplicate scan on or off (administrators; audited like every setting).
pub async fn set_nightly_duplicate_scan(svc: &Services, actor: &Actor, on: bool) -> AppResult<()> {
    actor.require_admin()?;
    if nightly_duplicate_scan(svc).await? != on {
        settings::set(svc, actor, NIGHTLY_DUPLICATE_SCAN, serde_json::Value::Bool(on)).await?;
    }
    Ok(())
}

/// A full duplicate scan, unless one is already going on.
async fn run_duplicate_scan(svc: &Services) -> AppResult<(u64, String, &'static str)> {
    let busy_since = Utc::now() - ChronoDuration::minutes(10);
    let active = duplicate_scan::Entity::find()
        .filter(duplicate_scan::Column::Status.is_in(["queued", "running"]))
        .filter(duplicate_scan::Column::UpdatedAt.gt(busy_since))
        .one(&svc.db)
        .await?;
    if let Some(active) = active {
        return Ok((0, format!("duplicate scan #{} was already running", active.id), "skipped"));
    }
    let id = crate::duplicates::duplicate_scans::create_job(svc, None).await?;
    let done = crate::duplicates::duplicate_scans::run(svc, id).await?;
    Ok((
        0,
        format!(
            "duplicate scan #{id}: {} contacts, {} pairs found, {} new",
            done.contacts, done.pairs_found, done.pairs_new
        ),
        "ok",
    ))
}

/// Runs one job now (whatever the period); `(removed, detail, outcome)`.
pub async fn run_job(
    svc: &Services,
    opts: &MaintenanceOptions,
    job: &str,
    now: DateTime<Utc>,
) -> AppResult<(u64, String, &'static str)> {
    let ok = |(n, d): (u64, String)| (n, d, "ok");
    match job {
        REFRESH_TOKENS => remove_expired_refresh_tokens(svc, now).await.map(ok),
        LINK_CODES => remove_expired_link_codes(svc, now).await.map(ok),
        BOT_UPDATES => prune_bot_updates(svc, now).await.map(ok),
        SCAN_IMAGES => remove_orphaned_scans(svc, opts, now).await.map(ok),
        IMPORT_FILES => {
            crate::transfer::imports::purge_files(svc).await.map(|n| (n, format!("{n} import files removed"), "ok"))
        }
        DUPLICATE_SCAN => run_duplicate_scan(svc).await,
        other => Err(AppError::Internal(format!("unknown maintenance job {other}"))),
    }
}

/// Runs every job whose current period has not been claimed yet by anyone, claiming each first;
/// `last` remembers the periods this process already looked at. Answers the jobs this instance ran.
pub async fn run_due(
    svc: &Services,
    opts: &MaintenanceOptions,
    now: DateTime<Utc>,
    last: &mut HashMap<&'static str, String>,
) -> Vec<(&'static str, String)> {
    let mut ran = Vec::new();
    for (job, _) in JOBS {
        let Some(p) = period(job, opts, now) else { continue };
        if last.get(job) == Some(&p) {
            continue;
        }
        if job == DUPLICATE_SCAN {
            match nightly_duplicate_scan(svc).await {
                Ok(true) => {}
                Ok(false) => continue, // looked at again next tick: turning it on takes effect tonight
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the nightly duplicate scan setting");
                    continue;
                }
            }
        }
        let id = match claim(svc, job, &p, &opts.instance, now).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                last.insert(job, p);
                continue;
            }
            Err(e) => {
                tracing::warn!(job, error = %e, "cannot claim a maintenance run; trying again later");
                continue;
            }
        };
        last.insert(job, p);
        let started = std::time::Instant::now();
        let (outcome, removed, detail) = match run_job(svc, opts, job, now).await {
            Ok((n, d, o)) => (o, n, d),
            Err(e) => ("failed", 0, e.to_string()),
        };
        metrics::counter!("maintenance_runs_total", "job" => job, "outcome" => outcome).increment(1);
        metrics::counter!("maintenance_removed_total", "job" => job).increment(removed);
        tracing::info!(job, outcome, removed, ms = started.elapsed().as_millis() as u64, "{detail}");
        if let Err(e) = finish(svc, id, outcome, removed, &detail).await {
            tracing::warn!(job, error = %e, "cannot record the end of a maintenance run");
        }
        ran.push((job, outcome.to_string()));
    }
    // Old history goes too (the newest run of each job is always far younger).
    let old = now - ChronoDuration::days(RUN_HISTORY_DAYS);
    if let Err(e) =
        maintenance_run::Entity::delete_many().filter(maintenance_run::Column::StartedAt.lt(old)).exec(&svc.db).await
    {
        tracing::warn!(error = %e, "cannot prune old maintenance runs");
    }
    ran
}

/// The last run of each job, for the status page.
pub async fn overview(svc: &Services) -> AppResult<Vec<MaintenanceJob>> {
    let nightly = nightly_duplicate_scan(svc).await?;
    let mut out = Vec::new();
    for (job, description) in JOBS {
        let last = maintenance_run::Entity::find()
            .filter(maintenance_run::Column::Job.eq(job))
            .order_by_desc(maintenance_run::Column::Id)
            .one(&svc.db)
            .await?;
        out.push(MaintenanceJob {
            job: job.into(),
            description: description.into(),
            enabled: job != DUPLICATE_SCAN || nightly,
            last: last.map(|m| MaintenanceRun {
                started_at: m.started_at,
                finished_at: m.finished_at,
                instance: m.instance,
                outcome: m.outcome,
                removed: m.removed,
                detail: m.detail,
            }),
        });
    }
    Ok(out)
}

/// The maintenance loop of a server process; stop it with [`Maintenance::shutdown`].
pub struct Maintenance(Task);

impl Maintenance {
    /// Options from the environment (the defaults, with a warning, when a value is invalid).
    pub fn start(svc: Services) -> Maintenance {
        let opts = MaintenanceOptions::from_env().unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default maintenance options");
            MaintenanceOptions::default()
        });
        Maintenance::start_with(svc, opts)
    }

    /// Looks every `opts.tick` for jobs whose period has started and runs those it wins.
    pub fn start_with(svc: Services, opts: MaintenanceOptions) -> Maintenance {
        Maintenance(Task::spawn(|mut stopped| async move {
            let mut last = HashMap::new();
            loop {
                if *stopped.borrow() {
                    break;
                }
                run_due(&svc, &opts, Utc::now(), &mut last).await;
                tokio::select! {
                    _ = tokio::time::sleep(opts.tick) => {}
                    r = stopped.changed() => if r.is_err() { break },
                }
            }
        }))
    }

    /// Asks the loop to stop and waits for the job in hand.
    pub async fn shutdown(self) {
        self.0.shutdown().await
    }
}

/// The interval the status page reports (from the environment, as [`Maintenance::start`] reads it).
pub fn interval_secs() -> u64 {
    MaintenanceOptions::from_env()
        .map(|o| o.interval)
        .unwrap_or_else(|_| MaintenanceOptions::default().interval)
        .as_secs()
}
