//! Exporting contacts as vCard (4.0 or 3.0), CSV (Google's column set), XLSX (the person's
//! visible columns) or JSON lines, with the contact list's filters or a selection of ids.
//!
//! Streamed: contacts are read in id order a batch at a time ([`BATCH`]) and each batch is written
//! and handed to the caller before the next is read, so a million contacts never sit in memory.
//! XLSX is the exception in form only: the workbook is a zip whose directory comes last, so rows go
//! to a constant-memory worksheet (on disk) and the finished file is streamed from there.

use crate::contacts::labels::{self, Groups, Tags};
use crate::dto::Contact;
use crate::import_dto::{ExportQuery, EXPORT_FORMATS, MAX_EXPORT_IDS};
use crate::{accounts::prefs, contacts, search, Actor, AppError, AppResult, Services};
use entity::contact;
use interchange::{Column, CsvOptions, CsvWriter, JsonlWriter, VcardVersion, VcardWriter};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Longest text filter (`q`, `tag`, `group`, `company`) an export takes, in characters.
pub const MAX_FILTER_CHARS: usize = 300;

/// Contacts read and written per step.
const BATCH: u64 = 1000;
/// Most photo bytes read from the database at once while writing vCards.
const PHOTO_BYTES_AT_ONCE: i64 = 16 << 20;

/// A checked export request.
#[derive(Clone, Debug)]
pub struct Plan {
    pub format: &'static str,
    pub version: VcardVersion,
    q: ExportQuery,
    ids: Option<Vec<i64>>,
}

impl Plan {
    pub fn content_type(&self) -> &'static str {
        match self.format {
            "csv" => "text/csv; charset=utf-8",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "jsonl" => "application/x-ndjson",
            _ => "text/vcard; charset=utf-8",
        }
    }

    pub fn file_name(&self) -> String {
        format!("cardcrm-contacts-{}.{}", chrono::Utc::now().format("%Y-%m-%d"), self.format)
    }
}

/// Checks an export request (422 naming the parameter) before anything is streamed.
pub fn plan(q: ExportQuery) -> AppResult<Plan> {
    // Exactly the documented names (an empty or unknown one is a 422, not a guess).
    let format = match q.format.as_deref() {
        None => "vcf",
        Some(f) => match EXPORT_FORMATS.iter().find(|x| **x == f) {
            Some(x) => x,
            None => {
                return Err(AppError::validation("format", format!("must be one of {}", EXPORT_FORMATS.join(", "))))
            }
        },
    };
    // The same for the vCard version: the documented spellings only (`version=` is a 422).
    let version = match q.version.as_deref() {
        None => VcardVersion::V4,
        Some("4.0") => VcardVersion::V4,
        Some("3.0") => VcardVersion::V3,
        Some(_) => return Err(AppError::validation("version", "must be 4.0 or 3.0")),
    };
    let ids = match q.ids.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(list) => {
            let mut ids = Vec::new();
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if ids.len() >= MAX_EXPORT_IDS {
                    return Err(AppError::validation("ids", format!("at most {MAX_EXPORT_IDS} ids")));
                }
                let id: i64 = part.parse().ok().filter(|i| *i > 0).ok_or_else(|| {
                    AppError::validation(
                        "ids",
                        format!("'{}' is not a contact id", part.chars().take(30).collect::<String>()),
                    )
                })?;
                ids.push(id);
            }
            ids.sort_unstable();
            ids.dedup();
            Some(ids)
        }
    };
    for (name, v) in [("q", &q.q), ("tag", &q.tag), ("group", &q.group), ("company", &q.company)] {
        if v.as_deref().is_some_and(|v| v.chars().count() > MAX_FILTER_CHARS) {
            return Err(AppError::validation(name, format!("must be at most {MAX_FILTER_CHARS} characters")));
        }
    }
    Ok(Plan { format, version, q, ids })
}

/// A `Write` whose bytes are taken out after each batch.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

enum Writer {
    Vcard(VcardWriter<Shared>),
    Csv(Box<CsvWriter<Shared>>),
    Jsonl(JsonlWriter<Shared>),
    Xlsx(Box<interchange::XlsxWriter>),
}

fn export_err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("export: {e}"))
}

/// The XLSX columns: the person's visible contact-table columns first (in their order), then every
/// other column, so the sheet reads as the table does and still imports back as the same contacts
/// (phones and e-mails one column per kind, so kinds survive).
fn xlsx_columns(visible: &[String]) -> Vec<Column> {
    let mut out = vec![Column::FullName];
    for c in visible {
        let add: Vec<Column> = match c.as_str() {
            "phone" => Column::ALL.iter().copied().filter(|c| matches!(c, Column::Phone(_))).collect(),
            "email" => Column::ALL.iter().copied().filter(|c| matches!(c, Column::Email(_))).collect(),
            other => Column::parse(other).into_iter().collect(),
        };
        for col in add {
            if !out.contains(&col) {
                out.push(col);
            }
        }
    }
    for col in Column::ALL {
        if !out.contains(&col) {
            out.push(col);
        }
    }
    out
}

/// Writes every contact the plan selects to `tx`, one batch at a time. Stops quietly when the
/// receiver is gone (the client went away). Returns how many contacts were written.
pub async fn stream(svc: &Services, actor: &Actor, plan: &Plan, tx: mpsc::Sender<Vec<u8>>) -> AppResult<u64> {
    let buf = Shared::default();
    let mut writer = match plan.format {
        "csv" => Writer::Csv(Box::new(
            CsvWriter::new(buf.clone(), CsvOptions { bom: true, ..Default::default() }).map_err(export_err)?,
        )),
        "jsonl" => Writer::Jsonl(JsonlWriter::new(buf.clone())),
        "xlsx" => {
            let visible = prefs::columns(svc, actor).await?;
            Writer::Xlsx(Box::new(interchange::XlsxWriter::new(&xlsx_columns(&visible)).map_err(export_err)?))
        }
        _ => Writer::Vcard(VcardWriter::new(buf.clone(), plan.version)),
    };
    // A search narrows to its best 1,000 matches, as in the list.
    let searched: Option<Vec<i64>> = match plan.q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Some(search::ids(svc, text, 1000, false).await?),
        None => None,
    };
    let mut last = 0i64;
    let mut n = 0u64;
    loop {
        let mut select = contact::Entity::find()
            .select_only()
            .column(contact::Column::Id)
            .filter(contact::Column::DeletedAt.is_null())
            .filter(contact::Column::MergedIntoId.is_null())
            .filter(contact::Column::Id.gt(last));
        if let Some(tag) = plan.q.tag.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            select = select.filter(
                Expr::col((contact::Entity, contact::Column::Id)).in_subquery(labels::members_query::<Tags>(tag)),
            );
        }
        if let Some(group) = plan.q.group.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            select = select.filter(
                Expr::col((contact::Entity, contact::Column::Id)).in_subquery(labels::members_query::<Groups>(group)),
            );
        }
        if let Some(company) = plan.q.company.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let lower: sea_orm::sea_query::SimpleExpr =
                Func::lower(Expr::col((contact::Entity, contact::Column::Company))).into();
            select = select.filter(Expr::expr(lower).eq(company.to_lowercase()));
        }
        let restrict: Option<Vec<i64>> = match (&plan.ids, &searched) {
            (Some(a), Some(b)) => Some(a.iter().filter(|i| b.contains(i)).copied().collect()),
            (Some(a), None) => Some(a.clone()),
            (None, Some(b)) => Some(b.clone()),
            (None, None) => None,
        };
        if let Some(r) = restrict {
            let next: Vec<i64> = r
                .into_iter()
                .filter(|i| *i > last)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .take(BATCH as usize)
                .collect();
            if next.is_empty() {
                break;
            }
            select = select.filter(contact::Column::Id.is_in(next));
        }
        let ids: Vec<i64> = select.order_by_asc(contact::Column::Id).limit(BATCH).into_tuple().all(&svc.db).await?;
        let Some(&max) = ids.last() else { break };
        last = max;
        let rows = contact::Entity::find()
            .filter(contact::Column::Id.is_in(ids))
            .order_by_asc(contact::Column::Id)
            .all(&svc.db)
            .await?;
        let batch: Vec<Contact> = contacts::load_many(&svc.db, rows).await?;
        // vCards carry photos (CSV, XLSX and JSON lines do not). They are read a few at a time,
        // at most PHOTO_BYTES_AT_ONCE of them (and at least one contact), and each part is sent
        // before the next is read: a page of contacts with large photos never sits in memory whole.
        let sizes = if matches!(writer, Writer::Vcard(_)) {
            let with: Vec<i64> = batch.iter().filter(|c| c.has_photo).map(|c| c.id).collect();
            crate::contacts::photos::sizes(&svc.db, &with).await?
        } else {
            std::collections::HashMap::new()
        };
        let mut start = 0;
        while start < batch.len() {
            let mut end = start;
            let mut weight = 0i64;
            while end < batch.len()
                && (end == start || weight + sizes.get(&batch[end].id).unwrap_or(&0) <= PHOTO_BYTES_AT_ONCE)
            {
                weight += sizes.get(&batch[end].id).unwrap_or(&0);
                end += 1;
            }
            let part = &batch[start..end];
            start = end;
            let wanted: Vec<i64> = part.iter().filter(|c| sizes.contains_key(&c.id)).map(|c| c.id).collect();
            let mut photos = if wanted.is_empty() {
                Default::default()
            } else {
                crate::contacts::photos::load_many(&svc.db, &wanted).await?
            };
            for c in part {
                let mut r = crate::transfer::contact_to_record(c);
                if let Some(p) = photos.remove(&c.id) {
                    r.photo = Some(interchange::Photo { mime: p.media_type, bytes: p.data });
                }
                match &mut writer {
                    Writer::Vcard(w) => w.write(&r).map_err(export_err)?,
                    Writer::Csv(w) => w.write(&r).map_err(export_err)?,
                    Writer::Jsonl(w) => w.write(&r).map_err(export_err)?,
                    Writer::Xlsx(w) => w.write(&r).map_err(|e| AppError::validation("format", e.to_string()))?,
                }
                n += 1;
            }
            let bytes = buf.take();
            if !bytes.is_empty() && tx.send(bytes).await.is_err() {
                return Ok(n);
            }
        }
    }
    match writer {
        Writer::Vcard(w) => {
            w.finish().map_err(export_err)?;
        }
        Writer::Csv(w) => {
            w.finish().map_err(export_err)?;
        }
        Writer::Jsonl(w) => {
            w.finish().map_err(export_err)?;
        }
        Writer::Xlsx(w) => {
            let path = std::env::temp_dir().join(format!("cardcrm-export-{}.xlsx", uuid::Uuid::new_v4()));
            let p2 = path.clone();
            tokio::task::spawn_blocking(move || -> AppResult<()> {
                let f = std::fs::File::create(&p2).map_err(export_err)?;
                w.finish(std::io::BufWriter::new(f)).map_err(export_err)
            })
            .await
            .map_err(export_err)??;
            let sent = send_file(&path, &tx).await;
            let _ = tokio::fs::remove_file(&path).await;
            sent?;
        }
    }
    let bytes = buf.take();
    if !bytes.is_empty() {
        let _ = tx.send(bytes).await;
    }
    metrics::counter!("exports_total", "format" => plan.format).increment(1);
    Ok(n)
}

async fn send_file(path: &std::path::Path, tx: &mpsc::Sender<Vec<u8>>) -> AppResult<()> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path).await.map_err(export_err)?;
    loop {
        let mut chunk = vec![0u8; 256 * 1024];
        let n = f.read(&mut chunk).await.map_err(export_err)?;
        if n == 0 {
            return Ok(());
        }
        chunk.truncate(n);
        if tx.send(chunk).await.is_err() {
            return Ok(());
        }
    }
}
