//! Contact photos: one picture per contact, stored in `contact_photos` (never in the contact row,
//! so lists and searches stay light; the contact only says `has_photo`).
//!
//! **Checked before it is kept**: at most [`MAX_PHOTO_BYTES`], the type sniffed from the bytes
//! (JPEG, PNG, GIF or WebP — never what a client claims, and never SVG, which can carry script),
//! and the whole image decoded once off the async threads (`ocr::decode_image`: header
//! dimensions before any pixel buffer, truncated or corrupt files refused). The bytes are kept as
//! sent, so a photo read from a vCard is written out again byte for byte.
//!
//! **A photo change is a contact change**: it is written in one transaction with the history
//! entry (`photo: "" → "JPEG, 12 KB"`, never the bytes) and a touch of `contacts.updated_at`,
//! whose triggers give the contact a new CardDAV change number (a new ETag, a `sync-collection`
//! entry). It does not move the contact's `version`: the photo is not one of the fields an edit
//! form sends, so an edit open in another tab still saves. Like any edit, it is refused (409) for
//! a contact in the trash or merged into another; reading follows the contact page (a trashed
//! contact's photo can be seen).
//!
//! **Phones get a small copy**: a photo over [`PHONE_MAX_BYTES`] or [`PHONE_SIDE`] pixels a side
//! goes out over CardDAV as a JPEG of at most [`PHONE_SIDE`] px ([`for_phones`]), made the first
//! time a CardDAV answer carries it and kept in `phone_data` until the photo changes. A full-size
//! camera photo in every vCard would make each sync megabytes a contact (and Android's contacts
//! provider refuses large photos). The original stays what the REST API, the UI and the exports
//! give; a phone sending back the small copy it was given leaves the original as it is.
//!
//! Imports and merges add photos with [`put_in`] and name themselves in `import_id` /
//! `merge_id`; their undo removes the photo only while it is still the one they added.

use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{contact, contact_photo};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Value};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Largest photo kept (the vCard reader's cap too).
pub const MAX_PHOTO_BYTES: usize = 5 << 20;
/// The image types a photo may be, as sniffed from its bytes.
pub const MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];
/// Largest width × height decoded (a 24-megapixel camera photo fits).
const MAX_PIXELS: u64 = 30_000_000;
/// Longest side of the copy phones get (a contact photo is shown at most this large on a phone).
pub const PHONE_SIDE: u32 = 720;
/// A photo up to this size (and [`PHONE_SIDE`] a side) goes to phones as it is.
pub const PHONE_MAX_BYTES: usize = 256 << 10;
/// Photos decoded at once (each may take a few hundred MB briefly); the others wait their turn.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A stored photo as served.
#[derive(Clone, Debug)]
pub struct Photo {
    pub media_type: String,
    pub data: Vec<u8>,
    /// A strong ETag (quotes included): the SHA-256 of the bytes.
    pub etag: String,
}

/// Who put a photo there: a person (REST, the UI, a phone) or an import or merge (undoable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Person,
    Import(i64),
    Merge(i64),
}

/// The media type of an image from its magic bytes, if it is one of [`MEDIA_TYPES`].
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    head.contains("<svg") || (head.trim_start().starts_with("<?xml") && !head.contains("<html"))
}

/// Checks a photo without decoding it: not empty, not over the cap, a kind we keep. Returns its
/// media type. 422 (413 for the size) with a detail naming the problem.
pub fn precheck(bytes: &[u8]) -> AppResult<&'static str> {
    if bytes.is_empty() {
        return Err(AppError::validation("photo", "is empty: send a JPEG, PNG, GIF or WebP image"));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "photo: {} bytes is more than the {MAX_PHOTO_BYTES}-byte limit",
            bytes.len()
        )));
    }
    match sniff(bytes) {
        Some(t) => Ok(t),
        None if looks_like_svg(bytes) => Err(AppError::validation(
            "photo",
            "SVG is not accepted (it can carry scripts): send a JPEG, PNG, GIF or WebP image",
        )),
        None => Err(AppError::validation("photo", "is not a JPEG, PNG, GIF or WebP image")),
    }
}

/// [`precheck`] and a full decode (CPU work: call it off the async threads). Returns the media type.
pub fn check_blocking(bytes: &[u8]) -> AppResult<&'static str> {
    let media_type = precheck(bytes)?;
    let limits = ocr::Limits { max_bytes: MAX_PHOTO_BYTES, max_pixels: MAX_PIXELS, max_side: 12_000 };
    ocr::decode_image(bytes, &limits)
        .map_err(|e| AppError::validation("photo", format!("the image cannot be read: {e}")))?;
    Ok(media_type)
}

/// [`check_blocking`] on the blocking pool, at most two at a time.
pub async fn check(bytes: Vec<u8>) -> AppResult<(Vec<u8>, &'static str)> {
    // Cheap refusals first, without waiting for a turn.
    precheck(&bytes)?;
    let _turn = DECODES.acquire().await.map_err(|e| AppError::Internal(format!("photo decode turns: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let r = check_blocking(&bytes);
        r.map(|t| (bytes, t))
    })
    .await
    .map_err(|e| AppError::Internal(format!("photo check failed: {e}")))?
}

/// The copy of a photo phones get, or `None` when the photo goes as it is (small enough, or
/// not readable: then it is sent as stored, as before). Blocking: decodes and encodes.
pub fn for_phones(data: &[u8]) -> Option<Vec<u8>> {
    let limits = ocr::Limits { max_bytes: MAX_PHOTO_BYTES, max_pixels: MAX_PIXELS, max_side: 12_000 };
    let img = ocr::decode_image(data, &limits).ok()?;
    if data.len() <= PHONE_MAX_BYTES && img.width().max(img.height()) <= PHONE_SIDE {
        return None;
    }
    let small = if img.width().max(img.height()) > PHONE_SIDE {
        img.resize(PHONE_SIDE, PHONE_SIDE, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    // JPEG has no transparency: transparent parts become white, not black.
    let rgba = small.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (out, p) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        *out = image::Rgb([0, 1, 2].map(|i| ((p[i] as u32 * a + 255 * (255 - a) + 127) / 255) as u8));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&rgb).ok()?;
    (out.len() < data.len()).then_some(out)
}

/// The photos of `ids` that have one, as phones get them over CardDAV: the small copy where the
/// photo needs one (made now, off the async threads, and kept, when it is not made yet).
pub async fn load_for_phones<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Photo>> {
    let mut out = std::collections::HashMap::new();
    for part in ids.chunks(500) {
        for p in
            contact_photo::Entity::find().filter(contact_photo::Column::ContactId.is_in(part.to_vec())).all(db).await?
        {
            let photo = match p.phone_data {
                Some(small) => Photo { etag: String::new(), media_type: "image/jpeg".into(), data: small },
                None if p.data.len() <= PHONE_MAX_BYTES && !too_wide(&p.data) => {
                    Photo { etag: String::new(), media_type: p.media_type, data: p.data }
                }
                None => {
                    let _turn =
                        DECODES.acquire().await.map_err(|e| AppError::Internal(format!("photo decode turns: {e}")))?;
                    let data = p.data;
                    let (data, small) = tokio::task::spawn_blocking(move || {
                        let small = for_phones(&data);
                        (data, small)
                    })
                    .await
                    .map_err(|e| AppError::Internal(format!("photo resize failed: {e}")))?;
                    match small {
                        Some(small) => {
                            // Kept only while the photo is still the one it was made from.
                            contact_photo::Entity::update_many()
                                .col_expr(contact_photo::Column::PhoneData, Expr::value(Some(small.clone())))
                                .filter(contact_photo::Column::ContactId.eq(p.contact_id))
                                .filter(contact_photo::Column::UpdatedAt.eq(p.updated_at))
                                .filter(contact_photo::Column::Bytes.eq(p.bytes))
                                .exec(db)
                                .await?;
                            Photo { etag: String::new(), media_type: "image/jpeg".into(), data: small }
                        }
                        None => Photo { etag: String::new(), media_type: p.media_type, data },
                    }
                }
            };
            out.insert(p.contact_id, photo);
        }
    }
    Ok(out)
}

/// Whether a small file is still wider or taller than [`PHONE_SIDE`] (header only, no decode).
fn too_wide(data: &[u8]) -> bool {
    image::ImageReader::new(std::io::Cursor::new(data))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok())
        .is_some_and(|(w, h)| w.max(h) > PHONE_SIDE)
}

fn etag_of(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(data)[..16]))
}

/// How a photo is named in a contact's history: "JPEG, 12 KB" ("" for none).
fn describe(media_type: &str, bytes: i64) -> String {
    let kind = media_type.strip_prefix("image/").unwrap_or(media_type).to_ascii_uppercase();
    let kb = (bytes + 1023) / 1024;
    format!("{kind}, {kb} KB")
}

/// The photo of contact `id`; 404 when the contact does not exist or has no photo. Like the
/// contact page, a contact in the trash (or merged away) can still be seen.
pub async fn get(svc: &Services, _actor: &Actor, id: i64) -> AppResult<Photo> {
    let row = contact_photo::Entity::find_by_id(id).one(&svc.db).await?;
    match row {
        Some(p) => Ok(Photo { etag: etag_of(&p.data), media_type: p.media_type, data: p.data }),
        None => {
            contact::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("contact"))?;
            Err(AppError::NotFound("the contact has no photo".into()))
        }
    }
}

/// The photos of `ids` that have one (for an export page or CardDAV answer; callers keep `ids` small).
pub async fn load_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<std::collections::HashMap<i64, Photo>> {
    let mut out = std::collections::HashMap::new();
    for part in ids.chunks(500) {
        for p in
            contact_photo::Entity::find().filter(contact_photo::Column::ContactId.is_in(part.to_vec())).all(db).await?
        {
            out.insert(p.contact_id, Photo { etag: String::new(), media_type: p.media_type, data: p.data });
        }
    }
    Ok(out)
}

/// The stored size of each photo of `ids` (no image bytes read).
pub async fn sizes<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<std::collections::HashMap<i64, i64>> {
    let mut out = std::collections::HashMap::new();
    for part in ids.chunks(500) {
        let rows: Vec<(i64, i32)> = contact_photo::Entity::find()
            .select_only()
            .column(contact_photo::Column::ContactId)
            .column(contact_photo::Column::Bytes)
            .filter(contact_photo::Column::ContactId.is_in(part.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|(id, b)| (id, b as i64)));
    }
    Ok(out)
}

/// Which of `ids` have a photo (one index-only query; what `has_photo` is read from).
pub async fn which<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<std::collections::HashSet<i64>> {
    let mut out = std::collections::HashSet::new();
    for part in ids.chunks(500) {
        let rows: Vec<i64> = contact_photo::Entity::find()
            .select_only()
            .column(contact_photo::Column::ContactId)
            .filter(contact_photo::Column::ContactId.is_in(part.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// 404 for an unknown contact, 409 for one in the trash or merged into another (as an edit).
async fn ensure_writable<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<()> {
    let row = contact::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("contact"))?;
    if let Some(into) = row.merged_into_id {
        return Err(super::merged_conflict(id, into));
    }
    if row.deleted_at.is_some() {
        return Err(AppError::Conflict("the contact is in the trash; restore it first".into()));
    }
    Ok(())
}

/// The contact's row changes with its photo: a new `updated_at` (and through the triggers on
/// `contacts`, a new CardDAV change number and ETag).
async fn touch<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<()> {
    contact::Entity::update_many()
        .col_expr(contact::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contact::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn record<C: ConnectionTrait>(
    db: &C,
    user_id: Option<i64>,
    id: i64,
    from: String,
    to: String,
    extra: Option<(&str, serde_json::Value)>,
) -> AppResult<()> {
    let mut detail = json!({"changes": [{"field": "photo", "from": from, "to": to}]});
    if let Some((k, v)) = extra {
        detail[k] = v;
    }
    audit::record(db, user_id, Some(id), "contact", "update", detail).await?;
    Ok(())
}

/// Sets the photo of contact `id` inside the caller's transaction: the row (replacing one, unless
/// `only_if_none`), the contact's touch and the history entry. `media_type` must come from
/// [`check`] / [`check_blocking`]. Returns whether a photo was written (`false`: `only_if_none`
/// and the contact has one already).
pub(crate) async fn put_in<C: ConnectionTrait>(
    db: &C,
    user_id: Option<i64>,
    id: i64,
    media_type: &str,
    data: &[u8],
    origin: Origin,
    only_if_none: bool,
) -> AppResult<bool> {
    ensure_writable(db, id).await?;
    let before = type_and_size(db, contact_photo::Entity::find_by_id(id)).await?;
    if only_if_none && before.is_some() {
        return Ok(false);
    }
    let (import_id, merge_id) = match origin {
        Origin::Person => (None, None),
        Origin::Import(i) => (Some(i), None),
        Origin::Merge(m) => (None, Some(m)),
    };
    let backend = db.get_database_backend();
    let values: Vec<Value> = vec![
        id.into(),
        media_type.into(),
        data.to_vec().into(),
        (data.len() as i32).into(),
        Utc::now().into(),
        import_id.into(),
        merge_id.into(),
    ];
    db.execute_raw(crate::platform::db::statement(
        backend,
        "INSERT INTO contact_photos (contact_id, media_type, data, bytes, updated_at, import_id, merge_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (contact_id) DO UPDATE SET media_type = excluded.media_type, data = excluded.data, \
         bytes = excluded.bytes, updated_at = excluded.updated_at, import_id = excluded.import_id, \
         merge_id = excluded.merge_id, phone_data = NULL",
        values,
    ))
    .await?;
    touch(db, id).await?;
    let from = before.map(|(t, b)| describe(&t, b as i64)).unwrap_or_default();
    let extra = match origin {
        Origin::Person => None,
        Origin::Import(i) => Some(("import", json!(i))),
        Origin::Merge(m) => Some(("merge", json!(m))),
    };
    record(db, user_id, id, from, describe(media_type, data.len() as i64), extra).await?;
    Ok(true)
}

/// Removes the photo of contact `id` inside the caller's transaction; with `only_from`, only while
/// it is still the one that import or merge added (an undo). Returns whether one was removed.
pub(crate) async fn remove_in<C: ConnectionTrait>(
    db: &C,
    user_id: Option<i64>,
    id: i64,
    only_from: Option<Origin>,
) -> AppResult<bool> {
    let mut q = contact_photo::Entity::find_by_id(id);
    match only_from {
        Some(Origin::Import(i)) => q = q.filter(contact_photo::Column::ImportId.eq(i)),
        Some(Origin::Merge(m)) => q = q.filter(contact_photo::Column::MergeId.eq(m)),
        _ => {}
    }
    let Some((media_type, bytes)) = type_and_size(db, q).await? else {
        return Ok(false);
    };
    contact_photo::Entity::delete_by_id(id).exec(db).await?;
    touch(db, id).await?;
    let extra = match only_from {
        Some(Origin::Import(i)) => Some(("import", json!({ "undo": i }))),
        Some(Origin::Merge(m)) => Some(("merge", json!(m))),
        _ => None,
    };
    record(db, user_id, id, describe(&media_type, bytes as i64), String::new(), extra).await?;
    Ok(true)
}

/// The type and size of the photo `q` finds, without its bytes.
async fn type_and_size<C: ConnectionTrait>(
    db: &C,
    q: sea_orm::Select<contact_photo::Entity>,
) -> AppResult<Option<(String, i32)>> {
    Ok(q.select_only()
        .column(contact_photo::Column::MediaType)
        .column(contact_photo::Column::Bytes)
        .into_tuple()
        .one(db)
        .await?)
}

/// Copies contact `from`'s photo to `to` (which has none) inside the caller's transaction, named
/// as merge `merge_id`'s (its undo removes it). No history entry: the merge records the change.
/// Returns how the copied photo is described in history, `None` when `from` has no photo.
pub(crate) async fn copy_in<C: ConnectionTrait>(
    db: &C,
    from: i64,
    to: i64,
    merge_id: i64,
) -> AppResult<Option<String>> {
    let Some((media_type, bytes)) = type_and_size(db, contact_photo::Entity::find_by_id(from)).await? else {
        return Ok(None);
    };
    let backend = db.get_database_backend();
    db.execute_raw(crate::platform::db::statement(
        backend,
        "INSERT INTO contact_photos (contact_id, media_type, data, bytes, updated_at, import_id, merge_id, phone_data) \
         SELECT ?, media_type, data, bytes, ?, NULL, ?, phone_data FROM contact_photos WHERE contact_id = ?",
        vec![to.into(), Utc::now().into(), merge_id.into(), from.into()],
    ))
    .await?;
    touch(db, to).await?;
    Ok(Some(describe(&media_type, bytes as i64)))
}

/// Sets (or replaces) a contact's photo from an upload: checked, then written with its history
/// entry in one transaction. 413/422 for a bad image, 404 for an unknown contact, 409 for one in
/// the trash or merged into another.
pub async fn set(svc: &Services, actor: &Actor, id: i64, bytes: Vec<u8>) -> AppResult<()> {
    // 404 before the decode work for a contact that is not there.
    contact::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("contact"))?;
    let (bytes, media_type) = check(bytes).await?;
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    put_in(&txn, Some(actor.user_id), id, media_type, &bytes, Origin::Person, false).await?;
    txn.commit().await?;
    svc.contacts_changed();
    Ok(())
}

/// Removes a contact's photo (nothing to do when it has none). 404 for an unknown contact, 409 for
/// one in the trash or merged into another.
pub async fn remove(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    ensure_writable(&txn, id).await?;
    let removed = remove_in(&txn, Some(actor.user_id), id, None).await?;
    txn.commit().await?;
    if removed {
        svc.contacts_changed();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_four_kinds_and_nothing_else() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"GIF89a...."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"BM......"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(precheck(b"").unwrap_err().status(), 422);
        let svg = precheck(b"<?xml version=\"1.0\"?><svg onload=\"x()\"/>").unwrap_err();
        assert_eq!(svg.status(), 422);
        assert!(svg.to_string().contains("SVG"), "{svg}");
        let text = precheck(b"hello there").unwrap_err();
        assert!(text.to_string().contains("not a JPEG"), "{text}");
        let big = vec![0xFFu8; MAX_PHOTO_BYTES + 1];
        assert_eq!(precheck(&big).unwrap_err().status(), 413);
        // A JPEG cut short is refused by the decode.
        let cut = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
        assert_eq!(check_blocking(&cut).unwrap_err().status(), 422);
    }

    #[test]
    fn history_names_kind_and_size() {
        assert_eq!(describe("image/jpeg", 12 * 1024), "JPEG, 12 KB");
        assert_eq!(describe("image/png", 1), "PNG, 1 KB");
    }
}
