//! Card scans as durable jobs: an uploaded image becomes a `card_scans` row (`queued`), a
//! [`Worker`] claims it (`processing`), runs the OCR pipeline off the async runtime and stores the
//! result (`done`) or the error (`failed`).
//!
//! * [`submit`] checks size and type from the bytes (nothing is stored for a bad upload), hashes the
//!   image (SHA-256), keeps it under `<data dir>/scans/<sha>.<ext>` and answers at once. The same
//!   image already read reuses that result: the new row is `done` immediately, no second OCR. The
//!   result is looked up in Redis first when `REDIS_URL` is set (key `cardcrm:ocr:v1:<sha>`, kept
//!   30 days, written by every read), then in the database.
//! * Claiming: PostgreSQL `FOR UPDATE SKIP LOCKED` (several instances may share the queue); SQLite a
//!   single claimer per process with a conditional update in a transaction.
//! * A crash never loses a scan, and several instances may share the queue: the worker holding a
//!   scan touches its `updated_at` every [`HEARTBEAT`]; a `processing` row not touched for [`STALE`]
//!   belongs to a dead process and is put back in the queue by whichever worker sweeps next (at
//!   start and every [`SWEEP`]). A live instance's scan is never taken from it, and a worker
//!   only stores its result while the row is still the claim it made (same `attempts`).
//! * Wake-ups through a [`tokio::sync::Notify`], with a poll every few seconds as a fallback.
//! * Bounded work ([`ScanLimits`]): every image decode and OCR run of the process (the upload check,
//!   the worker's reads, whoever calls them: REST, bots, reruns) takes one of a few turns first, in
//!   order, so 40 large uploads at once wait their turn instead of filling the memory. The worker
//!   reads as many scans at once as there are turns; a scan that takes longer than the time limit
//!   fails with that reason and the worker moves on (the turn is only given back when the abandoned
//!   reading really stops, so the bound holds for the work actually running). One user may have at
//!   most [`ScanLimits::per_user_queue`] scans waiting; more is answered 429.

pub mod corrections;
pub mod engine_order;
pub mod vision;

use crate::dto::{CardImage, SaveScanInput, SavedScan, ScanDraft, ScanFields, ScanLine, ScanPhone, ScanValue};
use crate::platform::background::Task;
use crate::{Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::card_scan;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, Set, Statement};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Largest accepted upload.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// A scan that failed this many times in a row (e.g. the process died while reading it) is not retried.
const MAX_ATTEMPTS: i32 = 3;
/// How often an idle worker looks for work when no wake-up came.
const POLL: Duration = Duration::from_secs(3);
/// How often the worker reading a scan proves it is alive (touches the row's `updated_at`).
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// A `processing` scan not touched for this long was left by a dead process and is re-queued.
pub const STALE: Duration = Duration::from_secs(60);
/// How often a worker looks for stale scans (besides at start).
const SWEEP: Duration = Duration::from_secs(30);
/// How long the Redis copy of an image's OCR result is kept.
const REDIS_RESULT_TTL_SECS: i64 = 30 * 24 * 3600;

pub const QUEUED: &str = "queued";
pub const PROCESSING: &str = "processing";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// The local engines of this build, in their default order (no network). `google` (Google Cloud
/// Vision, [`crate::scans::vision`]) is offered besides them only when configured: see
/// [`crate::scans::vision::available_engines`].
pub fn engines() -> &'static [&'static str] {
    if cfg!(feature = "tesseract") {
        &["paddle", "tesseract"]
    } else {
        &["paddle"]
    }
}

/// Every engine name this build knows, configured or not: the local engines and `google` (for
/// the API document and the metrics catalogue; what may be used now is
/// [`crate::scans::vision::available_engines`]).
pub fn engine_names() -> Vec<&'static str> {
    let mut names = engines().to_vec();
    names.push(crate::scans::vision::GOOGLE);
    names
}

/// How much image work runs at once, for how long, and how many scans one user may queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// Image decodes and OCR runs at once in this process (`CARDCRM_SCAN_CONCURRENCY`; default the
    /// number of cores, at most 4). Upload checks and the worker's reads share these turns.
    pub concurrency: usize,
    /// The longest one scan may be read (`CARDCRM_SCAN_TIME_LIMIT`: seconds, or `500ms`, `90s`,
    /// `2m`; default 120 s). A scan over it fails with that reason.
    pub time_limit: Duration,
    /// Scans one user may have `queued` or `processing` (`CARDCRM_SCAN_QUEUE_PER_USER`; default 20).
    pub per_user_queue: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ScanLimits { concurrency: cores.clamp(1, 4), time_limit: Duration::from_secs(120), per_user_queue: 20 }
    }
}

/// `120` (seconds), `500ms`, `90s`, `2m`, `1h`.
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("'{v}' is not a duration (e.g. 120, 500ms, 90s, 2m)"))?;
    let d = match unit.trim() {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86400)),
        other => return Err(format!("unknown unit '{other}' in '{v}' (use ms, s, m, h or d)")),
    };
    if d.is_zero() {
        return Err(format!("'{v}' must be more than zero"));
    }
    Ok(d)
}

impl ScanLimits {
    /// The defaults, changed by `CARDCRM_SCAN_CONCURRENCY`, `CARDCRM_SCAN_TIME_LIMIT` and
    /// `CARDCRM_SCAN_QUEUE_PER_USER`; an invalid value is an error naming the variable.
    pub fn from_env() -> Result<ScanLimits, String> {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut l = ScanLimits::default();
        if let Some(v) = var("CARDCRM_SCAN_CONCURRENCY") {
            l.concurrency =
                v.parse::<usize>().ok().filter(|n| (1..=256).contains(n)).ok_or_else(|| {
                    format!("CARDCRM_SCAN_CONCURRENCY is invalid: '{v}' is not a count from 1 to 256")
                })?;
        }
        if let Some(v) = var("CARDCRM_SCAN_TIME_LIMIT") {
            l.time_limit = parse_duration(&v).map_err(|e| format!("CARDCRM_SCAN_TIME_LIMIT is invalid: {e}"))?;
        }
        if let Some(v) = var("CARDCRM_SCAN_QUEUE_PER_USER") {
            l.per_user_queue =
                v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    format!("CARDCRM_SCAN_QUEUE_PER_USER is invalid: '{v}' is not a count of at least 1")
                })?;
        }
        Ok(l)
    }

    /// [`ScanLimits::from_env`], with the defaults (and a warning) when a value is invalid.
    fn from_env_or_default() -> ScanLimits {
        ScanLimits::from_env().unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default scan limits");
            ScanLimits::default()
        })
    }
}

/// Counts image work really running on the blocking pool, and the most seen at once.
#[derive(Default)]
struct Busy {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One unit of [`Busy`] work, counted until dropped.
struct BusyGuard<'a>(&'a Busy);

impl<'a> BusyGuard<'a> {
    fn enter(busy: &'a Busy) -> Self {
        let now = busy.now.fetch_add(1, Ordering::SeqCst) + 1;
        busy.peak.fetch_max(now, Ordering::SeqCst);
        metrics::gauge!("scans_in_progress").set(now as f64);
        BusyGuard(busy)
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        let now = self.0.now.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
        metrics::gauge!("scans_in_progress").set(now as f64);
    }
}

/// What a loaded pipeline was built for.
type PipelineKey = (Vec<String>, Option<crate::scans::vision::VisionConfig>);

/// Where scans live on disk and the shared pieces of the job queue; one per process.
pub struct ScanContext {
    data_dir: PathBuf,
    models_dir: PathBuf,
    wake: Notify,
    /// The loaded pipeline and the engine order and Google Vision configuration it was built for.
    pipeline: Mutex<Option<(PipelineKey, Arc<ocr::Pipeline>)>>,
    limits: ScanLimits,
    /// [`ScanLimits::concurrency`] turns for image work (fair: first come, first served).
    turns: Arc<Semaphore>,
    busy: Busy,
    /// Counting a user's waiting scans and adding one happen one upload at a time (in this process).
    queue_room: tokio::sync::Mutex<()>,
}

impl ScanContext {
    /// Limits from the environment (see [`ScanLimits::from_env`]).
    pub fn new(data_dir: impl Into<PathBuf>, models_dir: impl Into<PathBuf>) -> Self {
        let limits = ScanLimits::from_env_or_default();
        ScanContext {
            data_dir: data_dir.into(),
            models_dir: models_dir.into(),
            wake: Notify::new(),
            pipeline: Mutex::new(None),
            turns: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            limits,
            busy: Busy::default(),
            queue_room: tokio::sync::Mutex::new(()),
        }
    }

    /// The same folders with other limits.
    pub fn with_limits(mut self, limits: ScanLimits) -> Self {
        self.turns = Arc::new(Semaphore::new(limits.concurrency.max(1)));
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> &ScanLimits {
        &self.limits
    }

    /// Image decodes and OCR runs going on now in this process.
    pub fn in_progress(&self) -> usize {
        self.busy.now.load(Ordering::SeqCst)
    }

    /// The most image decodes and OCR runs seen at once in this process (never above
    /// [`ScanLimits::concurrency`]).
    pub fn peak_in_progress(&self) -> usize {
        self.busy.peak.load(Ordering::SeqCst)
    }

    /// Waits (in order of arrival) for a turn to do image work.
    async fn turn(&self) -> AppResult<OwnedSemaphorePermit> {
        self.turns.clone().acquire_owned().await.map_err(|e| AppError::Internal(format!("scan turns closed: {e}")))
    }

    /// Runs `work` on the blocking pool holding `turn` until `work` returns, counted as in progress.
    fn run_with_turn<T: Send + 'static>(
        self: &Arc<Self>,
        turn: OwnedSemaphorePermit,
        work: impl FnOnce(&ScanContext) -> T + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let _busy = BusyGuard::enter(&ctx.busy);
            work(&ctx)
        })
    }

    /// The data directory; images are under its `scans/` folder.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The OCR models folder.
    pub fn models_dir(&self) -> &std::path::Path {
        &self.models_dir
    }

    /// Whether the OCR pipeline has been loaded into memory (after the first scan).
    pub fn pipeline_loaded(&self) -> bool {
        self.pipeline.lock().map(|p| p.is_some()).unwrap_or(false)
    }

    fn scans_dir(&self) -> PathBuf {
        self.data_dir.join("scans")
    }

    /// The OCR pipeline for an engine order (the `ocr_engine_order` setting; empty: the build's
    /// local order) and the Google Vision configuration (`None`: `google` is left out, see
    /// [`crate::scans::vision::pipeline`]), loaded on first use and shared until either changes (blocking:
    /// call off the runtime). A load failure (missing model) is not remembered, so fetching the
    /// models fixes it without a restart.
    fn pipeline(
        &self,
        order: &[String],
        vision: Option<&crate::scans::vision::VisionConfig>,
    ) -> Result<Arc<ocr::Pipeline>, ocr::OcrError> {
        let mut slot = self.pipeline.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(((built_order, built_vision), p)) = slot.as_ref() {
            if built_order.as_slice() == order && built_vision.as_ref() == vision {
                return Ok(p.clone());
            }
        }
        let p = Arc::new(crate::scans::vision::pipeline(order, &self.models_dir, vision)?);
        *slot = Some(((order.to_vec(), vision.cloned()), p.clone()));
        Ok(p)
    }
}

impl Default for ScanContext {
    fn default() -> Self {
        ScanContext::new("./data", "./models")
    }
}

impl Services {
    /// Other scan limits than the environment's (tests; see [`ScanLimits`]). Kept by
    /// [`Services::with_scan_dirs`].
    pub fn with_scan_limits(mut self, limits: ScanLimits) -> Self {
        let ctx = ScanContext::new(self.scans.data_dir.clone(), self.scans.models_dir.clone()).with_limits(limits);
        self.scans = Arc::new(ctx);
        self
    }
}

/// Refuses a new scan for `actor` when they already have [`ScanLimits::per_user_queue`] waiting.
/// Room in the person's reading queue for `more` scans, else 429.
async fn check_queue_room(svc: &Services, actor: &Actor, more: u64) -> AppResult<()> {
    use sea_orm::PaginatorTrait;
    let cap = svc.scans.limits.per_user_queue;
    let waiting = card_scan::Entity::find()
        .filter(card_scan::Column::OwnerId.eq(actor.user_id))
        .filter(card_scan::Column::Status.is_in([QUEUED, PROCESSING]))
        .count(&svc.db)
        .await?;
    if more > 0 && waiting + more > cap {
        metrics::counter!("scan_queue_refusals_total").increment(1);
        let cards = if waiting == 1 { "card" } else { "cards" };
        let photo = if more > 1 { format!("this photo holds {more} cards and ") } else { String::new() };
        return Err(AppError::TooMany(format!(
            "{photo}you have {waiting} {cards} waiting to be read (at most {cap} at a time); send more when they are done"
        )));
    }
    Ok(())
}

/// Keeps `bytes` as `<dir>/<name>`: written (then renamed, so no reader sees half a file) when
/// missing, else its modification time is renewed, so the clean-up of unreferenced images
/// (see `maintenance`) leaves a file just used alone.
async fn keep_image(dir: &std::path::Path, name: &str, bytes: &[u8]) -> AppResult<()> {
    let path = dir.join(name);
    if tokio::fs::metadata(&path).await.is_ok() {
        let p = path.clone();
        let touched = tokio::task::spawn_blocking(move || {
            std::fs::File::options().append(true).open(&p).and_then(|f| f.set_modified(std::time::SystemTime::now()))
        })
        .await;
        if let Ok(Ok(())) = touched {
            return Ok(());
        }
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(format!("{name}.{}.tmp", uuid::Uuid::new_v4()));
    tokio::fs::write(&tmp, bytes).await.map_err(|e| AppError::Internal(format!("cannot store the image: {e}")))?;
    tokio::fs::rename(&tmp, &path).await.map_err(|e| AppError::Internal(format!("cannot store the image: {e}")))?;
    Ok(())
}

/// What `POST /scans` and `rerun` answer at once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanTicket {
    pub id: i64,
    /// `queued`, or `done` when the same image was read before.
    pub status: String,
    /// The scans of the photo's cards in reading order (`id` first): one element unless the
    /// upload asked for `cards=auto` and the photo held several cards.
    pub cards: Vec<i64>,
}

/// One scan as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scan {
    pub id: i64,
    pub uid: String,
    /// `queued`, `processing`, `done` or `failed`.
    pub status: String,
    pub engine: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub content_type: String,
    pub size_bytes: i64,
    pub image_sha256: String,
    pub contact_id: Option<i64>,
    /// `front` or `back` of the card.
    pub side: String,
    /// Contact-shaped fields (`first_name`, `phones[{kind, number, e164, blocks}]`,
    /// `emails[{address, blocks}]`, …); `blocks` maps each field to the indexes of its source lines.
    #[schema(value_type = Object)]
    pub fields: Option<serde_json::Value>,
    /// Text lines: `{text, confidence, quad: [[x, y] × 4]}` in image pixels.
    #[schema(value_type = Vec<Object>)]
    pub lines: Option<serde_json::Value>,
    /// Milliseconds: `decode_ms`, `ocr_ms`, `parse_ms`, `qr_ms` (QR code search), `total_ms`, and `queued_ms` (wait before a worker took it).
    #[schema(value_type = Object)]
    pub timings: Option<serde_json::Value>,
    /// How much learned knowledge the parser had: `{known_companies, title_words}` (counts).
    #[schema(value_type = Object)]
    pub hints: Option<serde_json::Value>,
    /// The engines run, in order, with why the next one was tried: `["google: error", "paddle"]`
    /// (`error`, `low-confidence`, `cyrillic`); the last one without a reason read the card.
    #[schema(value_type = Option<Vec<String>>)]
    pub tried: Option<serde_json::Value>,
    pub created_at: chrono::DateTime<Utc>,
    pub started_at: Option<chrono::DateTime<Utc>>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
}

impl From<card_scan::Model> for Scan {
    fn from(m: card_scan::Model) -> Self {
        let result: Option<serde_json::Value> = m.result.as_deref().and_then(|r| serde_json::from_str(r).ok());
        let part = |k: &str| result.as_ref().and_then(|r| r.get(k)).cloned();
        Scan {
            fields: part("fields"),
            lines: part("lines"),
            timings: part("timings"),
            hints: part("hints"),
            tried: part("tried"),
            id: m.id,
            uid: m.uid,
            status: m.status,
            engine: m.engine,
            error: m.error,
            attempts: m.attempts,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            image_sha256: m.image_sha256,
            contact_id: m.contact_id,
            side: m.side,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
        }
    }
}

/// Content type and file extension from the magic bytes of an image `ocr::decode_image` accepted.
fn sniff(bytes: &[u8]) -> (&'static str, &'static str) {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("image/jpeg", "jpg")
    } else if bytes.starts_with(b"\x89PNG") {
        ("image/png", "png")
    } else if bytes.starts_with(b"GIF8") {
        ("image/gif", "gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ("image/webp", "webp")
    } else if bytes.starts_with(b"BM") {
        ("image/bmp", "bmp")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        ("image/tiff", "tiff")
    } else {
        ("application/octet-stream", "bin")
    }
}

/// The 4xx a bad upload maps to, naming the problem.
fn upload_error(e: ocr::OcrError) -> AppError {
    match e {
        ocr::OcrError::TooLarge { .. } => AppError::PayloadTooLarge(e.to_string()),
        e if e.is_client_error() => AppError::validation("file", e.to_string()),
        e => AppError::Internal(e.to_string()),
    }
}

/// The Redis key of the OCR result of the image with this SHA-256.
pub fn redis_result_key(sha: &str) -> String {
    format!("cardcrm:ocr:v1:{sha}")
}

/// The `(engine, result)` stored in Redis for an image, when Redis is configured and has it.
/// Redis trouble is logged and answered as a miss: the database is asked next.
async fn redis_result(svc: &Services, sha: &str) -> Option<(Option<String>, String)> {
    use fred::interfaces::KeysInterface;
    let client = svc.limiter.redis_client()?;
    match client.get::<Option<String>, _>(redis_result_key(sha)).await {
        Ok(Some(v)) => {
            let v: serde_json::Value = serde_json::from_str(&v).ok()?;
            let result = v.get("result")?.as_str()?.to_string();
            Some((v.get("engine").and_then(|e| e.as_str()).map(str::to_string), result))
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a scan result from Redis; asking the database");
            None
        }
    }
}

/// Keeps an image's OCR result in Redis (when configured) for the next upload of the same image.
async fn redis_store_result(svc: &Services, sha: &str, engine: &str, result: &str) {
    use fred::interfaces::KeysInterface;
    use fred::types::Expiration;
    let Some(client) = svc.limiter.redis_client() else { return };
    let value = serde_json::json!({"engine": engine, "result": result}).to_string();
    let stored = client
        .set::<(), _, _>(redis_result_key(sha), value, Some(Expiration::EX(REDIS_RESULT_TTL_SECS)), None, false)
        .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "cannot keep a scan result in Redis");
    }
}

/// How many cards an uploaded photo holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CardsInPhoto {
    /// One card (a front or a back): the photo is read whole.
    #[default]
    One,
    /// Look for several cards laid out in the photo (at most [`ocr::MAX_CARDS`]): when there are
    /// two or more, each is cut out and becomes a scan of its own; otherwise as `one`.
    Auto,
}

/// Accept an uploaded card image: validate, store, queue. Answers at once with the new scan's id.
/// `declared_name` (the client's file name) is only logged: the type comes from the bytes.
pub async fn submit(
    svc: &Services,
    actor: &Actor,
    bytes: Vec<u8>,
    declared_name: Option<&str>,
) -> AppResult<ScanTicket> {
    submit_photo(svc, actor, bytes, declared_name, CardsInPhoto::One).await
}

/// [`submit`], for a photo that may hold several cards (`cards`): the ticket's `cards` lists the
/// scan of every card found, in reading order (rows top to bottom, each left to right).
pub async fn submit_photo(
    svc: &Services,
    actor: &Actor,
    bytes: Vec<u8>,
    declared_name: Option<&str>,
    cards: CardsInPhoto,
) -> AppResult<ScanTicket> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "file too large: {} bytes (limit {MAX_UPLOAD_BYTES})",
            bytes.len()
        )));
    }
    if cards == CardsInPhoto::One {
        return store(svc, actor, bytes, declared_name, false).await;
    }
    // Counted before the work: a person whose queue is full costs no decode.
    check_queue_room(svc, actor, 1).await?;
    let turn = svc.scans.turn().await?;
    let (bytes, found) = svc
        .scans
        .run_with_turn(turn, move |_| {
            let r = ocr::decode_image(&bytes, &ocr::Limits::default()).map(|img| ocr::card_photos(&img));
            (bytes, r)
        })
        .await
        .map_err(|e| AppError::Internal(format!("image check failed: {e}")))?;
    let photos = found.map_err(upload_error)?;
    if photos.len() < 2 {
        return store(svc, actor, bytes, declared_name, true).await;
    }
    store_cards(svc, actor, photos, declared_name).await
}

/// The `(engine, result)` of the newest finished reading of the image with this SHA-256: Redis
/// (shared by every instance) when configured, else the database.
async fn previous_result(svc: &Services, sha: &str) -> AppResult<Option<(Option<String>, Option<String>)>> {
    Ok(match redis_result(svc, sha).await {
        Some((engine, result)) => Some((engine, Some(result))),
        None => card_scan::Entity::find()
            .filter(card_scan::Column::ImageSha256.eq(sha))
            .filter(card_scan::Column::Status.eq(DONE))
            .order_by_desc(card_scan::Column::Id)
            .one(&svc.db)
            .await?
            .map(|prev| (prev.engine, prev.result)),
    })
}

/// A new scan row of a stored image; `done` at once with an earlier reading of the same bytes.
fn new_row(
    actor: &Actor,
    sha: &str,
    rel: String,
    content_type: &str,
    size: usize,
    previous: Option<(Option<String>, Option<String>)>,
) -> card_scan::ActiveModel {
    let now = Utc::now();
    let mut row = card_scan::ActiveModel {
        uid: Set(uuid::Uuid::new_v4().to_string()),
        status: Set(QUEUED.into()),
        image_sha256: Set(sha.to_string()),
        image_path: Set(rel),
        content_type: Set(content_type.into()),
        size_bytes: Set(size as i64),
        engine: Set(None),
        result: Set(None),
        error: Set(None),
        attempts: Set(0),
        owner_id: Set(actor.user_id),
        contact_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    };
    if let Some((engine, result)) = previous {
        row.status = Set(DONE.into());
        row.engine = Set(engine.clone());
        row.result = Set(result);
        row.started_at = Set(Some(now));
        row.finished_at = Set(Some(now));
        metrics::counter!("ocr_processing_total", "engine" => engine.unwrap_or_default(), "outcome" => "cached")
            .increment(1);
    }
    row
}

/// One card's image: checked (unless `checked`: decoded already), kept, queued.
async fn store(
    svc: &Services,
    actor: &Actor,
    bytes: Vec<u8>,
    declared_name: Option<&str>,
    checked: bool,
) -> AppResult<ScanTicket> {
    let sha = hex::encode(Sha256::digest(&bytes));
    // A result read before for the same bytes: those bytes passed the check below then, and the
    // scan is answered at once: no decode, no place in the queue.
    let previous = previous_result(svc, &sha).await?;
    let cached = previous.is_some();
    let bytes = if cached || checked {
        bytes
    } else {
        check_queue_room(svc, actor, 1).await?;
        // Full check (type, header dimensions, truncation, corrupt data) off the runtime, in turn
        // with every other decode and OCR run; nothing is stored on failure.
        let turn = svc.scans.turn().await?;
        let (bytes, checked) = svc
            .scans
            .run_with_turn(turn, move |_| {
                let r = ocr::decode_image(&bytes, &ocr::Limits::default()).map(|_| ());
                (bytes, r)
            })
            .await
            .map_err(|e| AppError::Internal(format!("image check failed: {e}")))?;
        checked.map_err(upload_error)?;
        bytes
    };

    let (content_type, ext) = sniff(&bytes);
    let file_name = format!("{sha}.{ext}");
    let dir = svc.scans.scans_dir();
    keep_image(&dir, &file_name, &bytes).await?;
    let row = new_row(actor, &sha, format!("scans/{file_name}"), content_type, bytes.len(), previous);
    let saved = {
        // Counted again under the lock: of two uploads at the same moment only one takes the last place.
        let _room = svc.scans.queue_room.lock().await;
        if !cached {
            check_queue_room(svc, actor, 1).await?;
        }
        row.insert(&svc.db).await?
    };
    // A clean-up that found the file unreferenced just before this row existed may have removed it.
    if tokio::fs::metadata(dir.join(&file_name)).await.is_err() {
        keep_image(&dir, &file_name, &bytes).await?;
    }
    tracing::info!(scan = saved.id, sha = %sha, cached, name = declared_name.unwrap_or(""), "scan submitted");
    if !cached {
        svc.scans.wake.notify_one();
    }
    Ok(ScanTicket { id: saved.id, status: saved.status, cards: vec![saved.id] })
}

/// The cards cut out of one photo, as one scan each: all queued, or (no room for all of them in
/// the person's queue) none.
async fn store_cards(
    svc: &Services,
    actor: &Actor,
    photos: Vec<Vec<u8>>,
    declared_name: Option<&str>,
) -> AppResult<ScanTicket> {
    use sea_orm::TransactionTrait;
    let dir = svc.scans.scans_dir();
    let mut rows = Vec::with_capacity(photos.len());
    let mut fresh = 0u64;
    for bytes in &photos {
        let sha = hex::encode(Sha256::digest(bytes));
        let previous = previous_result(svc, &sha).await?;
        fresh += u64::from(previous.is_none());
        let file_name = format!("{sha}.jpg");
        keep_image(&dir, &file_name, bytes).await?;
        rows.push((file_name.clone(), new_row(actor, &sha, format!("scans/{file_name}"), "image/jpeg", bytes.len(), previous)));
    }
    let saved = {
        let _room = svc.scans.queue_room.lock().await;
        check_queue_room(svc, actor, fresh).await?;
        let txn = svc.db.begin().await?;
        let mut saved = Vec::with_capacity(rows.len());
        for (_, row) in &rows {
            saved.push(row.clone().insert(&txn).await?);
        }
        txn.commit().await?;
        saved
    };
    for ((file_name, _), bytes) in rows.iter().zip(&photos) {
        if tokio::fs::metadata(dir.join(file_name)).await.is_err() {
            keep_image(&dir, file_name, bytes).await?;
        }
    }
    let ids: Vec<i64> = saved.iter().map(|m| m.id).collect();
    tracing::info!(scans = ?ids, name = declared_name.unwrap_or(""), "a photo of {} cards submitted", ids.len());
    metrics::counter!("scan_photo_cards_total").increment(ids.len() as u64);
    if fresh > 0 {
        svc.scans.wake.notify_one();
    }
    Ok(ScanTicket { id: ids[0], status: saved[0].status.clone(), cards: ids })
}

/// A scan the caller may see: their own, or any for an administrator (404 otherwise, not 403:
/// the ids of other people's scans are not revealed).
async fn load(svc: &Services, actor: &Actor, id: i64) -> AppResult<card_scan::Model> {
    let m = card_scan::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("scan"))?;
    if m.owner_id != actor.user_id && !actor.is_admin {
        return Err(AppError::not_found("scan"));
    }
    Ok(m)
}

pub async fn get(svc: &Services, actor: &Actor, id: i64) -> AppResult<Scan> {
    Ok(load(svc, actor, id).await?.into())
}

/// The stored image of a scan: (content type, bytes).
/// The card images of a saved contact belong to the contact, which every signed-in user may see.
pub async fn image(svc: &Services, actor: &Actor, id: i64) -> AppResult<(String, Vec<u8>)> {
    let m = card_scan::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("scan"))?;
    if m.owner_id != actor.user_id && !actor.is_admin && m.contact_id.is_none() {
        return Err(AppError::not_found("scan"));
    }
    let path = svc.scans.data_dir.join(&m.image_path);
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        tracing::error!(scan = id, path = %path.display(), error = %e, "scan image missing");
        AppError::NotFound("the image of this scan is no longer stored".into())
    })?;
    Ok((m.content_type, bytes))
}

/// A scan as the block editor needs it: lines with boxes, fields with their source blocks.
pub async fn draft(svc: &Services, actor: &Actor, id: i64) -> AppResult<ScanDraft> {
    Ok(to_draft(load(svc, actor, id).await?))
}

fn to_draft(m: card_scan::Model) -> ScanDraft {
    let result: Option<serde_json::Value> = m.result.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let result = result.unwrap_or_default();
    let lines: Vec<ScanLine> = serde_json::from_value(result["lines"].clone()).unwrap_or_default();
    let size = |k: &str| result["image"][k].as_u64().unwrap_or(0) as u32;
    ScanDraft {
        id: m.id,
        status: m.status,
        engine: m.engine,
        error: m.error,
        side: m.side,
        contact_id: m.contact_id,
        width: size("width"),
        height: size("height"),
        fields: fields_of(&result["fields"], lines.len()),
        lines,
        total_ms: result["timings"]["total_ms"].as_u64(),
    }
}

/// The `ocr::card_json` shape (values, with `blocks` per field under `blocks`) as typed fields;
/// block indexes outside the lines are dropped.
fn fields_of(f: &serde_json::Value, n_lines: usize) -> ScanFields {
    let blocks = |v: &serde_json::Value| -> Vec<usize> {
        v.as_array()
            .map(|a| a.iter().filter_map(|b| b.as_u64()).map(|b| b as usize).filter(|b| *b < n_lines).collect())
            .unwrap_or_default()
    };
    let text = |k: &str| -> Option<ScanValue> {
        let v = f[k].as_str()?.trim();
        (!v.is_empty()).then(|| ScanValue { value: v.to_string(), blocks: blocks(&f["blocks"][k]) })
    };
    let empty = Vec::new();
    ScanFields {
        prefix: text("prefix"),
        first_name: text("first_name"),
        middle_name: text("middle_name"),
        last_name: text("last_name"),
        full_name: text("full_name"),
        company: text("company"),
        position: text("position"),
        department: text("department"),
        website: text("website"),
        address: text("address"),
        phones: f["phones"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|p| ScanPhone {
                kind: p["kind"].as_str().unwrap_or("work").to_string(),
                number: p["number"].as_str().unwrap_or_default().to_string(),
                e164: p["e164"].as_str().map(str::to_string),
                blocks: blocks(&p["blocks"]),
            })
            .filter(|p| !p.number.is_empty())
            .collect(),
        emails: f["emails"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .filter_map(|e| {
                let a = e["address"].as_str()?.trim();
                (!a.is_empty()).then(|| ScanValue { value: a.to_string(), blocks: blocks(&e["blocks"]) })
            })
            .collect(),
    }
}

/// What the editor pre-fills from a front and an optional back: the front's fields, with empty
/// ones taken from the back (phones and e-mails of both, without repeats). Back blocks are not
/// renumbered; the editor knows which side a field came from by its value.
pub fn merged_fields(front: &ScanFields, back: Option<&ScanFields>) -> ScanFields {
    let Some(back) = back else { return front.clone() };
    let mut out = front.clone();
    let pick = |a: &mut Option<ScanValue>, b: &Option<ScanValue>| {
        if a.is_none() {
            *a = b.clone();
        }
    };
    pick(&mut out.prefix, &back.prefix);
    pick(&mut out.first_name, &back.first_name);
    pick(&mut out.middle_name, &back.middle_name);
    pick(&mut out.last_name, &back.last_name);
    pick(&mut out.full_name, &back.full_name);
    pick(&mut out.company, &back.company);
    pick(&mut out.position, &back.position);
    pick(&mut out.department, &back.department);
    pick(&mut out.website, &back.website);
    pick(&mut out.address, &back.address);
    for p in &back.phones {
        if !out.phones.iter().any(|q| q.number == p.number || (q.e164.is_some() && q.e164 == p.e164)) {
            out.phones.push(ScanPhone { blocks: Vec::new(), ..p.clone() });
        }
    }
    for e in &back.emails {
        if !out.emails.iter().any(|q| q.value.eq_ignore_ascii_case(&e.value)) {
            out.emails.push(ScanValue { blocks: Vec::new(), ..e.clone() });
        }
    }
    out
}

/// A scan that can be saved: read (or failed, then typed by hand) and not saved before.
async fn saveable(svc: &Services, actor: &Actor, id: i64, field: &str) -> AppResult<card_scan::Model> {
    let m = load(svc, actor, id).await.map_err(|e| match e {
        AppError::NotFound(_) if field != "scan" => AppError::validation(field, "no such scan"),
        e => e,
    })?;
    if m.status == QUEUED || m.status == PROCESSING {
        return Err(AppError::Conflict("this card is still being read".into()));
    }
    if let Some(c) = m.contact_id {
        return Err(AppError::Conflict(format!("this card was already saved as contact {c}")));
    }
    Ok(m)
}

/// Save a read card as a new contact (`source = ocr`): the scan (and the back, if given) is linked
/// to it as its card image, and what was read versus saved is stored per field (`ocr_corrections`)
/// so later cards parse better. Answers with the contact and that comparison.
pub async fn save(svc: &Services, actor: &Actor, id: i64, input: SaveScanInput) -> AppResult<SavedScan> {
    let front = saveable(svc, actor, id, "scan").await?;
    let back = match input.back_scan_id {
        Some(b) if b == id => return Err(AppError::validation("back_scan_id", "must be another scan than the front")),
        Some(b) => Some(saveable(svc, actor, b, "back_scan_id").await?),
        None => None,
    };
    let mut contact_input = input.contact;
    contact_input.source = Some("ocr".into());
    contact_input.version = None;
    let new_contact = crate::contacts::prepare(svc, contact_input).await?;

    // One transaction: claim the scans, create the contact, link them, record the corrections.
    // The claim is a conditional update, so of two saves at the same moment the second waits for
    // the first (PostgreSQL row lock; SQLite one writer), finds the scan taken, and creates nothing.
    // Rows are claimed in id order whatever their sides: two saves of the same card with front and
    // back swapped would otherwise each lock one row and wait for the other's (a deadlock, 500).
    let mut claims: Vec<(i64, &str)> =
        std::iter::once((front.id, "front")).chain(back.iter().map(|b| (b.id, "back"))).collect();
    claims.sort_unstable();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    for (scan_id, side) in claims {
        let res = card_scan::Entity::update_many()
            .col_expr(card_scan::Column::Side, Expr::value(side))
            .col_expr(card_scan::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(card_scan::Column::Id.eq(scan_id))
            .filter(card_scan::Column::ContactId.is_null())
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            txn.rollback().await?;
            return Err(AppError::Conflict("this card was saved by another request at the same time".into()));
        }
    }
    let contact = crate::contacts::create_in(&txn, actor, new_contact).await?;
    let ids: Vec<i64> = std::iter::once(front.id).chain(back.iter().map(|b| b.id)).collect();
    card_scan::Entity::update_many()
        .col_expr(card_scan::Column::ContactId, Expr::value(Some(contact.id)))
        .filter(card_scan::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;

    let read_front = to_draft(front.clone()).fields;
    let read_back = back.clone().map(|b| to_draft(b).fields);
    let read = merged_fields(&read_front, read_back.as_ref());
    let fields = crate::scans::corrections::compare(&read, &contact);
    crate::scans::corrections::record(&txn, actor, front.id, contact.id, &fields).await?;
    txn.commit().await?;
    crate::contacts::created_committed(svc, &contact);
    tracing::info!(
        scan = front.id,
        contact = contact.id,
        corrected = fields.iter().filter(|f| f.changed()).count(),
        "scan saved"
    );
    Ok(SavedScan { contact, fields })
}

/// The card images of a contact (front first).
pub async fn for_contact(svc: &Services, actor: &Actor, contact_id: i64) -> AppResult<Vec<CardImage>> {
    crate::contacts::get(svc, actor, contact_id).await?;
    let rows = card_scan::Entity::find()
        .filter(card_scan::Column::ContactId.eq(contact_id))
        .order_by_desc(card_scan::Column::Side)
        .order_by_asc(card_scan::Column::Id)
        .all(&svc.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| CardImage { url: format!("/api/v1/scans/{}/image", m.id), scan_id: m.id, side: m.side })
        .collect())
}

/// Read a finished scan again, optionally with a given engine (`paddle`, `tesseract`, and
/// `google` when Google Vision is configured).
pub async fn rerun(svc: &Services, actor: &Actor, id: i64, engine: Option<&str>) -> AppResult<ScanTicket> {
    if let Some(e) = engine {
        let available = crate::scans::vision::available_engines(svc).await?;
        if !available.iter().any(|a| a == e) {
            let why = if e == crate::scans::vision::GOOGLE {
                "Google Cloud Vision is not configured (GOOGLE_VISION_API_KEY or GOOGLE_VISION_CREDENTIALS)".to_string()
            } else {
                format!("unknown or disabled engine {e:?}")
            };
            return Err(AppError::validation("engine", format!("{why} (available: {})", available.join(", "))));
        }
    }
    let m = load(svc, actor, id).await?;
    if m.status == QUEUED || m.status == PROCESSING {
        return Err(AppError::Conflict("this scan is still being read".into()));
    }
    if let Some(c) = m.contact_id {
        // Its result is what the saved contact and its corrections were compared with.
        return Err(AppError::Conflict(format!("this card was already saved as contact {c}")));
    }
    let _room = svc.scans.queue_room.lock().await;
    check_queue_room(svc, actor, 1).await?;
    let res = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::Status, Expr::value(QUEUED))
        .col_expr(card_scan::Column::Engine, Expr::value(engine.map(str::to_string)))
        .col_expr(card_scan::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(card_scan::Column::Attempts, Expr::value(0))
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(card_scan::Column::Id.eq(m.id))
        .filter(card_scan::Column::Status.is_in([DONE, FAILED]))
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::Conflict("this scan is still being read".into()));
    }
    svc.scans.wake.notify_one();
    Ok(ScanTicket { id: m.id, status: QUEUED.into(), cards: vec![m.id] })
}

/// Put scans a dead process left `processing` back in the queue: those whose worker has not
/// touched them for `stale` (a live worker touches its scan every [`HEARTBEAT`]). Safe with several
/// instances: one conditional update, and a scan still being read is left alone. Returns how many.
pub async fn requeue_stale(svc: &Services, stale: Duration) -> AppResult<u64> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(stale).unwrap_or(chrono::Duration::zero());
    let res = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::Status, Expr::value(QUEUED))
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(now))
        .filter(card_scan::Column::Status.eq(PROCESSING))
        .filter(card_scan::Column::UpdatedAt.lt(cutoff))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}

/// The claim a worker holds: the scan, still `processing` with the attempt count it claimed.
fn still_ours(job: &card_scan::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(card_scan::Column::Id.eq(job.id))
        .add(card_scan::Column::Status.eq(PROCESSING))
        .add(card_scan::Column::Attempts.eq(job.attempts))
}

/// Proves the worker reading `job` is alive, so no sweep re-queues it.
async fn heartbeat(svc: &Services, job: &card_scan::Model) {
    let touched = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(still_ours(job))
        .exec(&svc.db)
        .await;
    if let Err(e) = touched {
        tracing::warn!(scan = job.id, error = %e, "cannot touch the scan being read");
    }
}

/// Take the oldest queued scan, marking it `processing`.
async fn claim(svc: &Services) -> AppResult<Option<card_scan::Model>> {
    let now = Utc::now();
    match svc.db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let stmt = Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "UPDATE card_scans SET status = 'processing', attempts = attempts + 1, started_at = $1, updated_at = $1 \
                 WHERE id = (SELECT id FROM card_scans WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) \
                 RETURNING *",
                [now.into()],
            );
            Ok(card_scan::Entity::find().from_raw_sql(stmt).one(&svc.db).await?)
        }
        _ => {
            // SQLite: one claimer per process; the conditional update keeps two processes on one file apart.
            let txn = crate::platform::db::begin_write(&svc.db).await?;
            let Some(m) = card_scan::Entity::find()
                .filter(card_scan::Column::Status.eq(QUEUED))
                .order_by_asc(card_scan::Column::Id)
                .one(&txn)
                .await?
            else {
                txn.commit().await?;
                return Ok(None);
            };
            let res = card_scan::Entity::update_many()
                .col_expr(card_scan::Column::Status, Expr::value(PROCESSING))
                .col_expr(card_scan::Column::Attempts, Expr::value(m.attempts + 1))
                .col_expr(card_scan::Column::StartedAt, Expr::value(Some(now)))
                .col_expr(card_scan::Column::UpdatedAt, Expr::value(now))
                .filter(card_scan::Column::Id.eq(m.id))
                .filter(card_scan::Column::Status.eq(QUEUED))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            if res.rows_affected == 0 {
                return Ok(None);
            }
            Ok(Some(card_scan::Model {
                status: PROCESSING.into(),
                attempts: m.attempts + 1,
                started_at: Some(now),
                updated_at: now,
                ..m
            }))
        }
    }
}

/// Decode, read (the requested engine or the pipeline's choice) and parse one image. Blocking.
fn read_image(
    ctx: &ScanContext,
    bytes: &[u8],
    engine: Option<&str>,
    hints: &ocr::ParseHints,
    order: &[String],
    vision: Option<&crate::scans::vision::VisionConfig>,
) -> Result<(String, serde_json::Value), ocr::OcrError> {
    // A re-read with a named local engine needs every engine of the build, whatever the order
    // setting says; one with `google` falls back to the local engines when it fails, as in an order.
    let google = [crate::scans::vision::GOOGLE.to_string()];
    let pipeline = match engine {
        Some(crate::scans::vision::GOOGLE) => ctx.pipeline(&google, vision)?,
        Some(_) => ctx.pipeline(&[], None)?,
        None => ctx.pipeline(order, vision)?,
    };
    let t0 = Instant::now();
    let img = ocr::decode_image(bytes, &ocr::Limits::default())?;
    let decode_ms = t0.elapsed().as_millis() as u64;
    let t1 = Instant::now();
    let mut reading = match engine {
        Some(e) if e != crate::scans::vision::GOOGLE => pipeline.read_with(&img, e)?,
        _ => pipeline.read(&img)?,
    };
    let ocr_ms = t1.elapsed().as_millis() as u64;
    let t2 = Instant::now();
    let mut parsed = ocr::parse_card(&reading.lines, hints);
    let parse_ms = t2.elapsed().as_millis() as u64;
    let t3 = Instant::now();
    if let Some(qr) = ocr::decode_qr(&img) {
        ocr::merge_qr(&mut parsed, qr);
    }
    let qr_ms = t3.elapsed().as_millis() as u64;
    reading.elapsed_ms = t0.elapsed().as_millis() as u64;
    let mut fields = ocr::card_json(&parsed, &reading);
    let lines = fields.as_object_mut().and_then(|o| {
        o.remove("elapsed_ms");
        o.remove("engine");
        o.remove("lines")
    });
    let result = serde_json::json!({
        "fields": fields,
        "lines": lines.unwrap_or_default(),
        "image": { "width": img.width(), "height": img.height() },
        "tried": reading.tried,
        "hints": { "known_companies": hints.known_companies.len(), "title_words": hints.title_words.len() },
        "timings": {
            "decode_ms": decode_ms, "ocr_ms": ocr_ms, "parse_ms": parse_ms, "qr_ms": qr_ms,
            "total_ms": reading.elapsed_ms,
        },
    });
    Ok((reading.engine, result))
}

/// "500 ms", "2 s", "1.5 min" for messages.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{} s", ms as f64 / 1000.0)
    } else {
        format!("{} min", ms as f64 / 60_000.0)
    }
}

/// Run one claimed scan to `done` or `failed`, reading it in `turn` (see [`ScanLimits`]).
async fn process(svc: &Services, job: card_scan::Model, turn: OwnedSemaphorePermit) -> AppResult<()> {
    let id = job.id;
    let outcome: Result<(String, serde_json::Value), String> = if job.attempts > MAX_ATTEMPTS {
        Err(format!("gave up after {MAX_ATTEMPTS} attempts"))
    } else {
        let path = svc.scans.data_dir.join(&job.image_path);
        match tokio::fs::read(&path).await {
            Err(e) => Err(format!("the stored image cannot be read: {e}")),
            Ok(bytes) => {
                let engine = job.engine.clone();
                // What users corrected before; parsing without it beats not reading the card.
                let hints = crate::scans::corrections::hints(svc).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot load parse hints");
                    ocr::ParseHints::default()
                });
                let order = crate::scans::engine_order::ocr_engine_order(svc).await.unwrap_or_default();
                // Not configured (or not readable now): `google` is left out and never called.
                let vision = crate::scans::vision::config(svc).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot read the Google Vision settings; not using it");
                    None
                });
                let limit = svc.scans.limits.time_limit;
                let reading = svc.scans.run_with_turn(turn, move |ctx| {
                    read_image(ctx, &bytes, engine.as_deref(), &hints, &order, vision.as_ref())
                });
                tokio::pin!(reading);
                let deadline = tokio::time::sleep(limit);
                tokio::pin!(deadline);
                let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
                let read = loop {
                    tokio::select! {
                        r = &mut reading => break Some(r),
                        _ = &mut deadline => break None,
                        _ = beat.tick() => heartbeat(svc, &job).await,
                    }
                };
                match read {
                    Some(Ok(Ok(r))) => Ok(r),
                    Some(Ok(Err(e))) => Err(e.to_string()),
                    Some(Err(e)) => {
                        tracing::error!(scan = id, error = %e, "OCR task panicked");
                        Err("internal error while reading the image".into())
                    }
                    None => {
                        // The reading cannot be interrupted: it goes on in the background, keeping
                        // its turn, and its result is dropped; this scan is answered now.
                        metrics::counter!("ocr_processing_total", "engine" => job.engine.clone().unwrap_or_else(|| "auto".into()), "outcome" => "timeout")
                            .increment(1);
                        Err(format!(
                            "reading this image took longer than the time limit of {} (CARDCRM_SCAN_TIME_LIMIT); \
                             a smaller or simpler photo may work",
                            human(limit)
                        ))
                    }
                }
            }
        }
    };
    let now = Utc::now();
    let queued_ms = job.started_at.map(|s| (s - job.created_at).num_milliseconds().max(0)).unwrap_or(0);
    let write = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(now))
        .col_expr(card_scan::Column::FinishedAt, Expr::value(Some(now)))
        .filter(still_ours(&job));
    let (write, stored_result) = match outcome {
        Ok((engine, mut result)) => {
            if let Some(t) = result.get_mut("timings").and_then(|t| t.as_object_mut()) {
                t.insert("queued_ms".into(), queued_ms.into());
            }
            metrics::counter!("ocr_processing_total", "engine" => engine.clone(), "outcome" => "done").increment(1);
            tracing::info!(scan = id, engine = %engine, "scan read");
            let result = result.to_string();
            let write = write
                .col_expr(card_scan::Column::Status, Expr::value(DONE))
                .col_expr(card_scan::Column::Engine, Expr::value(Some(engine.clone())))
                .col_expr(card_scan::Column::Result, Expr::value(Some(result.clone())))
                .col_expr(card_scan::Column::Error, Expr::value(Option::<String>::None));
            (write, Some((engine, result)))
        }
        Err(e) => {
            let engine = job.engine.clone().unwrap_or_else(|| "auto".into());
            metrics::counter!("ocr_processing_total", "engine" => engine, "outcome" => "failed").increment(1);
            tracing::warn!(scan = id, error = %e, "scan failed");
            let write = write
                .col_expr(card_scan::Column::Status, Expr::value(FAILED))
                .col_expr(card_scan::Column::Error, Expr::value(Some(e)));
            (write, None)
        }
    };
    if write.exec(&svc.db).await?.rows_affected == 0 {
        // Re-queued meanwhile (this worker looked dead) and maybe claimed again: the newer claim wins.
        tracing::warn!(scan = id, "the scan was re-queued while this worker read it; its result is dropped");
        return Ok(());
    }
    if let Some((engine, result)) = stored_result {
        redis_store_result(svc, &job.image_sha256, &engine, &result).await;
    }
    Ok(())
}

/// The background reader of queued scans; one per process. It reads up to
/// [`ScanLimits::concurrency`] scans at once (sharing the turns with upload checks). Stop it with
/// [`Worker::shutdown`].
pub struct Worker(Task);

impl Worker {
    /// Keep reading queued scans; re-queue, at start and every [`SWEEP`], what a dead process
    /// left `processing` (see [`requeue_stale`]).
    pub fn start(svc: Services) -> Worker {
        Worker(Task::spawn(|mut stopped| async move {
            let mut swept: Option<Instant> = None;
            let mut reading = tokio::task::JoinSet::new();
            loop {
                if *stopped.borrow() {
                    break;
                }
                while let Some(done) = reading.try_join_next() {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "a scan reader stopped abnormally");
                    }
                }
                if swept.is_none_or(|at| at.elapsed() >= SWEEP) {
                    swept = Some(Instant::now());
                    match requeue_stale(&svc, STALE).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(count = n, "re-queued scans left processing by a dead process"),
                        Err(e) => tracing::warn!(error = %e, "cannot re-queue interrupted scans"),
                    }
                }
                // A turn first: a scan is claimed only when it can be read at once.
                let turn = tokio::select! {
                    t = svc.scans.turn() => t,
                    r = stopped.changed() => {
                        if r.is_err() { break }
                        continue;
                    }
                };
                let turn = match turn {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!(error = %e, "no scan turns; the worker stops");
                        break;
                    }
                };
                match claim(&svc).await {
                    Ok(Some(job)) => {
                        let svc = svc.clone();
                        reading.spawn(async move {
                            if let Err(e) = process(&svc, job, turn).await {
                                tracing::error!(error = %e, "cannot store a scan result");
                            }
                        });
                        continue;
                    }
                    Ok(None) => drop(turn),
                    Err(e) => {
                        drop(turn);
                        tracing::warn!(error = %e, "cannot claim a scan")
                    }
                }
                tokio::select! {
                    _ = svc.scans.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    r = stopped.changed() => if r.is_err() { break },
                }
            }
            // The scans in hand are finished (or time out) and stored before the worker ends.
            while let Some(done) = reading.join_next().await {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a scan reader stopped abnormally");
                }
            }
        }))
    }

    /// Ask the worker to stop and wait for the scans in hand (if any) to be stored.
    pub async fn shutdown(self) {
        self.0.shutdown().await
    }
}
