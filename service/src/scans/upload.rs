//! An upload becomes scans: checked, kept under its SHA-256, queued (or answered from an earlier
//! reading in Redis or the database); a photo of several cards becomes one scan per card.

use super::*;

/// Room in the person's reading queue for `more` scans, else 429.
pub(super) async fn check_queue_room(svc: &Services, actor: &Actor, more: u64) -> AppResult<()> {
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
pub(super) async fn keep_image(dir: &std::path::Path, name: &str, bytes: &[u8]) -> AppResult<()> {
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

/// Content type and file extension from the magic bytes of an image `ocr::decode_image` accepted.
pub(super) fn sniff(bytes: &[u8]) -> (&'static str, &'static str) {
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
pub(super) fn upload_error(e: ocr::OcrError) -> AppError {
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
pub(super) async fn redis_store_result(svc: &Services, sha: &str, engine: &str, result: &str) {
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

/// Full check of an image (type, header dimensions, truncation, corrupt data) off the runtime, in
/// turn with every other decode and OCR run: the bytes back with the (EXIF-oriented) width and
/// height, or the 4xx naming the problem (as the part `file`); nothing is stored on failure.
pub(super) async fn checked_image(svc: &Services, bytes: Vec<u8>) -> AppResult<(Vec<u8>, (u32, u32))> {
    let turn = svc.scans.turn().await?;
    let (bytes, checked) = svc
        .scans
        .run_with_turn(turn, move |_| {
            let r = ocr::decode_image(&bytes, &ocr::Limits::default()).map(|i| (i.width(), i.height()));
            (bytes, r)
        })
        .await
        .map_err(|e| AppError::Internal(format!("image check failed: {e}")))?;
    Ok((bytes, checked.map_err(upload_error)?))
}

/// A new scan row of a stored image; `done` at once with an earlier reading of the same bytes.
pub(super) fn new_row(
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
        row.engine = Set(engine);
        row.result = Set(result);
        row.started_at = Set(Some(now));
        row.finished_at = Set(Some(now));
    }
    row
}

/// Counts a stored scan answered from an earlier reading (once it is stored, not when a refused
/// upload only built its row).
fn count_if_cached(m: &card_scan::Model) {
    if m.status == DONE {
        let engine = m.engine.clone().unwrap_or_default();
        metrics::counter!("ocr_processing_total", "engine" => engine, "outcome" => "cached").increment(1);
    }
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
        checked_image(svc, bytes).await?.0
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
    count_if_cached(&saved);
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
        let (content_type, ext) = sniff(bytes);
        let file_name = format!("{sha}.{ext}");
        keep_image(&dir, &file_name, bytes).await?;
        rows.push((
            file_name.clone(),
            new_row(actor, &sha, format!("scans/{file_name}"), content_type, bytes.len(), previous),
        ));
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
    saved.iter().for_each(count_if_cached);
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
