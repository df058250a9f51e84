//! Cards read on the user's device (issue 23): the browser ran the card reader (crate `ocr-web`)
//! and the person checked the fields there; only the contact they save reaches the server, with
//! what the reader read (so corrections are learnt as for a server scan) and, if they chose to
//! keep it, the photo of each side as the contact's card image.
//!
//! Nothing is read here: the server checks what it is given (the photo decodes, its size is the
//! one the reading's boxes refer to, the reading is bounded) and stores it in one transaction
//! with the contact (`source = device`). A refused save stores nothing.

use super::upload::{checked_image, keep_image, new_row, sniff};
use super::*;
use crate::dto::{ContactInput, ScanFields};

/// At most this many text lines in one side's reading (a card has a few dozen).
pub const MAX_DEVICE_LINES: usize = 1000;
/// At most this many characters in one line of a reading.
pub const MAX_DEVICE_LINE_CHARS: usize = 2000;
/// The engine name a device scan is stored under.
pub const DEVICE_ENGINE: &str = "device";

/// `POST /api/v1/scans/device`, the `save` part: the contact as checked and what the device read.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct DeviceSave {
    /// The contact as the person checked it (its `source` is set to `device`).
    pub contact: ContactInput,
    /// The reading of the front (the on-device reader's `result`). Without a front photo its
    /// `lines` may be left empty: only the fields are compared with what was saved.
    pub front: CardReading,
    /// The reading of the back, when a back was read.
    #[serde(default)]
    pub back: Option<CardReading>,
}

/// A photo the person chose to keep as the card image of the side it shows.
pub struct DevicePhoto {
    pub bytes: Vec<u8>,
    pub declared_name: Option<String>,
}

fn check_reading(part: &str, r: &CardReading) -> AppResult<()> {
    if r.lines.len() > MAX_DEVICE_LINES {
        return Err(AppError::validation(part, format!("at most {MAX_DEVICE_LINES} lines, got {}", r.lines.len())));
    }
    for (i, l) in r.lines.iter().enumerate() {
        if l.text.chars().count() > MAX_DEVICE_LINE_CHARS {
            return Err(AppError::validation(
                part,
                format!("line {i} is longer than {MAX_DEVICE_LINE_CHARS} characters"),
            ));
        }
        if l.quad.len() != 4 || !l.confidence.is_finite() || l.quad.iter().flatten().any(|v| !v.is_finite()) {
            return Err(AppError::validation(
                part,
                format!("line {i} needs a box of 4 points and a finite confidence"),
            ));
        }
    }
    Ok(())
}

/// Decode the photo (the upload's check, [`checked_image`]) and check that the reading's boxes are
/// in its pixels; answers the photo back with its content type and file extension.
async fn check_photo(
    svc: &Services,
    part: &str,
    photo: DevicePhoto,
    reading: &CardReading,
) -> AppResult<(DevicePhoto, &'static str, &'static str)> {
    if photo.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "{part}: {} bytes (limit {MAX_UPLOAD_BYTES})",
            photo.bytes.len()
        )));
    }
    let DevicePhoto { bytes, declared_name } = photo;
    let (bytes, (w, h)) = checked_image(svc, bytes).await.map_err(|e| match e {
        AppError::Validation { message, .. } => AppError::validation(part, message),
        e => e,
    })?;
    if !reading.lines.is_empty() && (reading.image.width, reading.image.height) != (w, h) {
        return Err(AppError::validation(
            part,
            format!("the reading is of a {}×{} image, the photo is {w}×{h}", reading.image.width, reading.image.height),
        ));
    }
    let (content_type, ext) = sniff(&bytes);
    Ok((DevicePhoto { bytes, declared_name }, content_type, ext))
}

/// Save a card read on the device as a new contact (`source = device`), with its photos as card
/// images when given, and the per-field comparison of what was read and saved.
pub async fn save_device(
    svc: &Services,
    actor: &Actor,
    input: DeviceSave,
    front_photo: Option<DevicePhoto>,
    back_photo: Option<DevicePhoto>,
) -> AppResult<SavedScan> {
    check_reading("front", &input.front)?;
    if let Some(b) = &input.back {
        check_reading("back", b)?;
    }
    if back_photo.is_some() && input.back.is_none() {
        return Err(AppError::validation("back_photo", "a back photo needs the back's reading (`back` in `save`)"));
    }
    let mut contact_input = input.contact;
    crate::contacts::check_source(contact_input.source.as_deref())?;
    contact_input.source = Some(DEVICE_ENGINE.into());
    contact_input.version = None;
    let new_contact = crate::contacts::prepare(svc, contact_input).await?;

    // The photos: checked, then kept under their SHA-256 like an upload (before the transaction:
    // a file without a row is removed by the clean-up of unreferenced images).
    let mut photos: Vec<(&str, DevicePhoto, &CardReading, String, String, &'static str)> = Vec::new();
    let back_reading = input.back.as_ref();
    for (side, photo, reading) in
        [("front", front_photo, Some(&input.front)), ("back", back_photo, back_reading)].into_iter()
    {
        let (Some(photo), Some(reading)) = (photo, reading) else { continue };
        let part = if side == "front" { "front_photo" } else { "back_photo" };
        let (photo, content_type, ext) = check_photo(svc, part, photo, reading).await?;
        let sha = hex::encode(Sha256::digest(&photo.bytes));
        let file_name = format!("{sha}.{ext}");
        keep_image(&svc.scans.scans_dir(), &file_name, &photo.bytes).await?;
        photos.push((side, photo, reading, sha, file_name, content_type));
    }

    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let contact = crate::contacts::create_in(&txn, actor, new_contact).await?;
    let mut front_scan = None;
    for (side, photo, reading, sha, file_name, content_type) in &photos {
        // A row as an upload makes it, already read (by the device) and saved with the contact.
        let result = serde_json::to_string(reading).map_err(|e| AppError::Internal(e.to_string()))?;
        let previous = Some((Some(DEVICE_ENGINE.to_string()), Some(result)));
        let mut row = new_row(actor, sha, format!("scans/{file_name}"), content_type, photo.bytes.len(), previous);
        row.contact_id = Set(Some(contact.id));
        row.side = Set(side.to_string());
        let row = row.insert(&txn).await?;
        if *side == "front" {
            front_scan = Some(row.id);
        }
        tracing::info!(scan = row.id, side, name = photo.declared_name.as_deref().unwrap_or(""), "device photo kept");
    }
    let read_front: ScanFields = input.front.draft_fields();
    let read_back = input.back.as_ref().map(CardReading::draft_fields);
    let read = merged_fields(&read_front, read_back.as_ref());
    let fields = crate::scans::corrections::compare(&read, &contact);
    crate::scans::corrections::record(&txn, actor, front_scan, contact.id, &fields).await?;
    txn.commit().await?;
    crate::contacts::created_committed(svc, &contact);
    // A clean-up that found a photo unreferenced just before its row existed may have removed it.
    for (_, photo, _, _, file_name, _) in &photos {
        if tokio::fs::metadata(svc.scans.scans_dir().join(file_name)).await.is_err() {
            keep_image(&svc.scans.scans_dir(), file_name, &photo.bytes).await?;
        }
    }
    metrics::counter!("ocr_processing_total", "engine" => DEVICE_ENGINE, "outcome" => "saved").increment(1);
    tracing::info!(
        contact = contact.id,
        photos = photos.len(),
        corrected = fields.iter().filter(|f| f.changed()).count(),
        "device scan saved"
    );
    Ok(SavedScan { contact, fields })
}
