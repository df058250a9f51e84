//! What users corrected when they saved a scanned card (`ocr_corrections`: per field, the value the
//! parser read and the value saved), and the parse hints learned from it for the next cards
//! (`ocr::learn_hints`: known company names, job-title words).

use crate::dto::{Contact, ContactField, FieldCorrection, ScanFields};
use crate::{platform::settings, Actor, AppResult, Services};
use chrono::Utc;
use entity::ocr_correction;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// The fields whose corrections the parser learns from.
const LEARNED_FIELDS: [&str; 2] = ["company", "position"];

/// Phones compared by E.164 when known, else by the digits as printed; sorted, `; `-joined.
fn phone_list<'a>(items: impl Iterator<Item = (&'a str, &'a str, Option<&'a String>)>) -> String {
    let mut v: Vec<String> = items
        .map(|(kind, number, e164)| format!("{kind}: {}", e164.cloned().unwrap_or_else(|| number.trim().to_string())))
        .collect();
    v.sort();
    v.join("; ")
}

/// Per field, what the parser read (`read`) against what the user saved, for every field that
/// was read or saved (unchanged fields included, so accuracy can be counted).
pub fn compare(read: &ScanFields, saved: &Contact) -> Vec<FieldCorrection> {
    let mut out = Vec::new();
    for f in ContactField::ALL.into_iter().filter(|f| f.scanned()) {
        let r = read.get(f.name()).map(|v| v.value.trim().to_string()).unwrap_or_default();
        let s = f.of(saved).trim().to_string();
        if !r.is_empty() || !s.is_empty() {
            out.push(FieldCorrection { field: f.name().to_string(), read: r, saved: s });
        }
    }
    let r = phone_list(read.phones.iter().map(|p| (p.kind.as_str(), p.number.as_str(), p.e164.as_ref())));
    let s = phone_list(saved.phones.iter().map(|p| (p.kind.as_str(), p.number.as_str(), p.e164.as_ref())));
    if !r.is_empty() || !s.is_empty() {
        out.push(FieldCorrection { field: "phones".into(), read: r, saved: s });
    }
    let mut r: Vec<String> = read.emails.iter().map(|e| e.value.trim().to_lowercase()).collect();
    let mut s: Vec<String> = saved.emails.iter().map(|e| e.address.trim().to_lowercase()).collect();
    r.sort();
    s.sort();
    if !r.is_empty() || !s.is_empty() {
        out.push(FieldCorrection { field: "emails".into(), read: r.join("; "), saved: s.join("; ") });
    }
    out
}

/// Store the per-field comparison of a saved scan (`scan_id`: none for a card read on the device
/// whose photo was not kept).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    scan_id: Option<i64>,
    contact_id: i64,
    fields: &[FieldCorrection],
) -> AppResult<()> {
    let now = Utc::now();
    for f in fields {
        ocr_correction::ActiveModel {
            scan_id: Set(scan_id),
            contact_id: Set(Some(contact_id)),
            user_id: Set(Some(actor.user_id)),
            field: Set(f.field.clone()),
            read_value: Set(f.read.clone()),
            saved_value: Set(f.saved.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let changed = fields.iter().filter(|f| f.changed()).count();
    metrics::counter!("ocr_fields_saved_total", "outcome" => "corrected").increment(changed as u64);
    metrics::counter!("ocr_fields_saved_total", "outcome" => "kept").increment((fields.len() - changed) as u64);
    Ok(())
}

/// The hints for parsing the next card: the default region setting plus what the stored
/// corrections teach (newest first, bounded by [`ocr::MAX_LEARNED`]).
pub async fn hints(svc: &Services) -> AppResult<ocr::ParseHints> {
    let base = ocr::ParseHints { default_region: settings::default_region(svc).await?, ..Default::default() };
    let rows = ocr_correction::Entity::find()
        .filter(ocr_correction::Column::Field.is_in(LEARNED_FIELDS))
        .filter(ocr_correction::Column::SavedValue.ne(""))
        .order_by_desc(ocr_correction::Column::Id)
        .limit(4 * ocr::MAX_LEARNED as u64)
        .all(&svc.db)
        .await?;
    let list: Vec<ocr::Correction> = rows
        .into_iter()
        .map(|r| ocr::Correction { field: r.field, read: r.read_value, saved: r.saved_value })
        .collect();
    Ok(ocr::learn_hints(&base, &list))
}
