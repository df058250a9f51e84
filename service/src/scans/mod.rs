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
pub mod device;
pub mod engine_order;
pub mod vision;

mod context;
mod upload;
mod worker;

pub use context::{parse_duration, DurationError, ScanContext, ScanLimits};
use upload::check_queue_room;
pub use upload::{redis_result_key, submit, submit_photo, CardsInPhoto, ScanTicket};
pub use worker::{requeue_stale, Worker};

use crate::dto::{CardImage, SaveScanInput, SavedScan, ScanDraft, ScanFields, ScanLine, ScanPhone, ScanValue};
use crate::platform::background::Task;
use crate::{Actor, AppError, AppResult, Services};
use card_reading::{CardReading, HintCounts, ReadFields, Timings};
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
    /// Contact-shaped fields as read; `blocks` maps each single value to the indexes of its source lines.
    pub fields: Option<ReadFields>,
    /// Text lines with their boxes in image pixels.
    pub lines: Option<Vec<ScanLine>>,
    /// Milliseconds: `decode_ms`, `ocr_ms`, `parse_ms`, `qr_ms` (QR code search), `total_ms`, and `queued_ms` (wait before a worker took it).
    pub timings: Option<Timings>,
    /// How much learned knowledge the parser had: `{known_companies, title_words}` (counts).
    pub hints: Option<HintCounts>,
    /// The engines run, in order, with why the next one was tried: `["google: error", "paddle"]`
    /// (`error`, `low-confidence`, `cyrillic`); the last one without a reason read the card.
    pub tried: Option<Vec<String>>,
    pub created_at: chrono::DateTime<Utc>,
    pub started_at: Option<chrono::DateTime<Utc>>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
}

impl From<card_scan::Model> for Scan {
    fn from(m: card_scan::Model) -> Self {
        // The stored reading taken apart, its parts moved (not copied) into the view.
        let (fields, lines, timings, hints, tried) = match stored_reading(&m) {
            Some(r) => (Some(r.fields), Some(r.lines), Some(r.timings), Some(r.hints), Some(r.tried)),
            None => (None, None, None, None, None),
        };
        Scan {
            fields,
            lines,
            timings,
            hints,
            tried,
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

/// The reading a scan stores (`None` before it is read, or when what is stored does not read).
pub fn stored_reading(m: &card_scan::Model) -> Option<CardReading> {
    let text = m.result.as_deref()?;
    serde_json::from_str(text)
        .map_err(|e| tracing::warn!(scan = m.id, error = %e, "the stored reading of this scan does not read"))
        .ok()
}

fn to_draft(m: card_scan::Model) -> ScanDraft {
    let stored = stored_reading(&m);
    let total_ms = stored.as_ref().map(|r| r.timings.total_ms);
    let result = stored.unwrap_or_default();
    ScanDraft {
        id: m.id,
        status: m.status,
        engine: m.engine,
        error: m.error,
        side: m.side,
        contact_id: m.contact_id,
        width: result.image.width,
        height: result.image.height,
        fields: result.draft_fields(),
        total_ms,
        lines: result.lines,
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
    crate::contacts::check_source(contact_input.source.as_deref())?;
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
    crate::scans::corrections::record(&txn, actor, Some(front.id), contact.id, &fields).await?;
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
