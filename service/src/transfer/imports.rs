//! Importing contact files (vCard, CSV, XLSX, JSON lines) as background jobs, with a preview.
//!
//! The `imports` row is the job and its progress, so any request on any instance can poll it
//! (as for duplicate scans); the uploaded bytes wait in `import_files` until the import is applied;
//! `import_rows` says what happened to every row.
//!
//! A run reads the file with the `interchange` crate, checks each record as every other door does
//! (`contacts::clean`: a broken row is `invalid` with the reason, the rest go on), then works in
//! chunks of [`CHUNK`] rows. For each chunk it
//!
//! 1. finds each row's match: the stored contact with the same UID (a vCard `UID`; for a row
//!    without one, a fingerprint of its content, so re-importing the same CSV finds the contacts it
//!    made), else the best duplicate by the same matcher as check-on-create (one statement of capped
//!    key lookups for the whole chunk, then one light load), else an earlier row of the same file;
//! 2. decides: `create`, `update` (merge into the match: only what the stored contact lacks is
//!    added, nothing it has is removed), `skip` (a duplicate, or nothing new), or `invalid`, from the
//!    file's `on_duplicate` and the person's per-row overrides;
//! 3. writes the chunk in ONE transaction with multi-row inserts (contacts, phones, e-mails, tags,
//!    groups, search words, duplicate keys, audit entries, pending pairs for duplicates created
//!    anyway, the rows' outcomes and the job's progress), so a chunk is all there or not at all.
//!
//! A preview (`dry_run`) runs steps 1–2 only. Importing the same file twice changes nothing: every
//! row finds the contact it made the first time and has nothing new to add. Undo (within
//! [`UNDO_DAYS`] days) moves the contacts the import created to the trash and puts the contacts it
//! updated back as they were, unless someone edited them since.
//!
//! This file holds the job (submit, preview, apply, progress, the uploaded file) and the types a run
//! shares; `imports/rows.rs` checks and merges single rows, `imports/chunks.rs` is the run (steps
//! 1–2), `imports/write.rs` step 3, `imports/undo.rs` the undo.

mod chunks;
mod rows;
mod undo;
mod write;
pub use chunks::run;
pub use undo::undo;

use crate::contacts::{self, Clean};
use crate::dto::{Contact, ContactField, ContactInput, EmailInput, NameRef, PhoneInput};
use crate::import_dto::{
    ImportApply, ImportJob, ImportOptions, ImportRow, ImportSummary, ImportUndo, RowOverride, IMPORT_FORMATS,
    ON_DUPLICATE, UNDO_DAYS,
};
use crate::platform::db::placeholder;
use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{
    audit_log, contact, contact_email, contact_group_member, contact_key, contact_phone, contact_tag, import,
    import_row,
};
use interchange::{ColumnMapping, ContactRecord, Field, Format, ReadOptions, Reader};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, Value,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Rows decided and written per transaction.
const CHUNK: usize = 2000;
/// Keys per lookup statement (each key one capped arm of a `UNION ALL`).
const KEYS_PER_STATEMENT: usize = 400;
/// A queued or running import with no progress for this long was interrupted (the process ended).
const STALE_SECS: i64 = 600;
/// A preview's file is kept this long for it to be applied.
pub const PREVIEW_HOURS: i64 = 24;
/// Imports queued or running at once for one person.
const ACTIVE_PER_USER: u64 = 2;
/// Largest file accepted: the `interchange` cap (a 200 MB export passes). The REST route's body
/// limit is set from it.
pub const MAX_FILE_BYTES: usize = 256 << 20;
/// Search-vocabulary rows an import remembers having written (about 100 MB at most).
const WORDS_REMEMBERED: usize = 1_000_000;
/// Rows per page of an import's rows.
pub const DEFAULT_ROW_LIMIT: u64 = 100;

/// What the job remembers besides its columns (stored as JSON in `imports.options`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Stored {
    /// The forced format, if any.
    format: Option<String>,
    /// The column mapping the person chose (field ids), if any.
    mapping: Option<Vec<String>>,
    /// Per-row choices (line → skip | merge | create).
    overrides: Vec<RowOverride>,
    /// What the file's header looked like, for the preview.
    headers: Vec<String>,
    columns: Vec<String>,
    profile: String,
}

fn stored(m: &import::Model) -> Stored {
    serde_json::from_str(&m.options).unwrap_or_default()
}

fn can_undo(m: &import::Model) -> bool {
    !m.dry_run
        && m.status == "done"
        && m.undone_at.is_none()
        && (m.created > 0 || m.updated > 0)
        && m.finished_at.is_some_and(|f| (Utc::now() - f).num_days() < UNDO_DAYS)
}

fn progress(m: &import::Model) -> f32 {
    match m.status.as_str() {
        "done" | "undone" => 1.0,
        _ if m.total > 0 => (m.done as f32 / m.total as f32).clamp(0.0, 1.0),
        _ => 0.0,
    }
}

fn summary(m: import::Model) -> ImportSummary {
    ImportSummary {
        can_undo: can_undo(&m),
        id: m.id,
        status: m.status,
        dry_run: m.dry_run,
        file_name: m.file_name,
        format: m.format,
        tag: m.tag,
        total: m.total,
        created: m.created,
        updated: m.updated,
        skipped: m.skipped,
        invalid: m.invalid,
        created_at: m.created_at,
        finished_at: m.finished_at,
    }
}

fn check_on_duplicate(v: &str) -> AppResult<String> {
    if ON_DUPLICATE.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(AppError::validation("on_duplicate", "must be skip, merge or create"))
    }
}

fn check_tag(tag: Option<&str>) -> AppResult<String> {
    let tag = tag.unwrap_or("").trim().to_string();
    if tag.chars().count() > 50 {
        return Err(AppError::validation("tag", "must be at most 50 characters"));
    }
    Ok(tag)
}

/// The documented names only: an empty or differently spelt one is a 422, not a guess (the
/// command line turns `vcard`, `.CSV` … into these names before it asks).
fn check_format(f: Option<&str>) -> AppResult<Option<Format>> {
    match f {
        None => Ok(None),
        Some(f) if IMPORT_FORMATS.contains(&f) => Ok(Format::parse(f)),
        Some(_) => Err(AppError::validation("format", format!("must be one of {}", IMPORT_FORMATS.join(", ")))),
    }
}

fn check_mapping(mapping: &[String]) -> AppResult<ColumnMapping> {
    if mapping.len() > 1000 {
        return Err(AppError::validation("mapping", "at most 1000 columns"));
    }
    let mut columns = Vec::with_capacity(mapping.len());
    for (i, m) in mapping.iter().enumerate() {
        let f: Field = m.parse().map_err(|e: String| AppError::validation(format!("mapping[{i}]"), e))?;
        columns.push(f);
    }
    Ok(ColumnMapping { columns })
}

fn check_overrides(overrides: &[RowOverride]) -> AppResult<()> {
    if overrides.len() > 1_000_000 {
        return Err(AppError::validation("overrides", "too many overrides"));
    }
    for (i, o) in overrides.iter().enumerate() {
        if !ON_DUPLICATE.contains(&o.action.as_str()) {
            return Err(AppError::validation(format!("overrides[{i}].action"), "must be skip, merge or create"));
        }
        if o.line < 1 {
            return Err(AppError::validation(format!("overrides[{i}].line"), "must be a line of the file"));
        }
    }
    Ok(())
}

/// The remembered mapping of a header set (per user), stored when a person applies a mapping.
fn mapping_pref_key(header_key: &str) -> String {
    format!("import_mapping:{header_key}")
}

async fn remembered_mapping(svc: &Services, user_id: Option<i64>, header_key: &str) -> AppResult<Option<Vec<String>>> {
    let Some(user_id) = user_id else { return Ok(None) };
    let row = entity::user_pref::Entity::find_by_id((user_id, mapping_pref_key(header_key))).one(&svc.db).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.value).ok()))
}

async fn remember_mapping(svc: &Services, user_id: i64, header_key: &str, mapping: &[String]) -> AppResult<()> {
    crate::accounts::prefs::store(
        svc,
        user_id,
        &mapping_pref_key(header_key),
        serde_json::to_string(mapping).unwrap_or_default(),
    )
    .await
}

/// What opening a file tells before its rows are read: the format, the encoding, the header and
/// the mapping the reader uses (chosen, else proposed from the header).
struct Opened {
    format: String,
    encoding: String,
    headers: Vec<String>,
    columns: Vec<String>,
    profile: String,
    header_key: Option<String>,
}

fn opened(reader: &Reader<'_>) -> Opened {
    Opened {
        format: reader.format().as_str().to_string(),
        encoding: reader.encoding().map(|e| e.label().to_string()).unwrap_or_default(),
        headers: reader.headers().map(|h| h.to_vec()).unwrap_or_default(),
        columns: reader.mapping().map(|m| m.columns.iter().map(|f| f.to_string()).collect()).unwrap_or_default(),
        profile: reader
            .profile()
            .and_then(|p| serde_json::to_value(p).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        header_key: reader.header_key(),
    }
}

fn read_options(format: Option<&str>, file_name: &str, mapping: Option<ColumnMapping>) -> ReadOptions {
    ReadOptions {
        format: format.and_then(Format::parse),
        file_name: Some(file_name.to_string()).filter(|n| !n.is_empty()),
        mapping,
        limits: interchange::Limits { max_file_bytes: MAX_FILE_BYTES, ..Default::default() },
    }
}

/// Opens the file as the job will read it, on the blocking pool (an XLSX sheet is parsed whole):
/// the format (forced or detected) and the mapping (chosen, remembered for this header set, or
/// proposed). A file no reader accepts is a 422 naming why. Gives the bytes back.
async fn open(
    svc: &Services,
    user_id: Option<i64>,
    bytes: Vec<u8>,
    file_name: &str,
    st: &Stored,
) -> AppResult<(Vec<u8>, Opened)> {
    // Checked when the import was asked for (an older job may have kept a looser spelling).
    if st.format.as_deref().is_some_and(|f| Format::parse(f).is_none()) {
        return Err(AppError::validation("format", format!("must be one of {}", IMPORT_FORMATS.join(", "))));
    }
    let chosen = match &st.mapping {
        Some(m) => Some(check_mapping(m)?),
        None => None,
    };
    let opts = read_options(st.format.as_deref(), file_name, chosen.clone());
    let (bytes, result) = tokio::task::spawn_blocking(move || {
        let result = Reader::new(&bytes, &opts).map(|r| opened(&r));
        (bytes, result)
    })
    .await
    .map_err(|e| AppError::Internal(format!("import reader: {e}")))?;
    let mut o = result.map_err(|e| AppError::validation("file", e.to_string()))?;
    if chosen.is_none() {
        if let Some(key) = &o.header_key {
            if let Some(m) = remembered_mapping(svc, user_id, key).await? {
                if o.headers.len() == m.len() && check_mapping(&m).is_ok() {
                    o.columns = m;
                }
            }
        }
    }
    Ok((bytes, o))
}

/// Starts an import of `bytes` (the uploaded file): a preview when `opts.dry_run`, else the real
/// thing. The file is checked at once (format, encoding, size: 422 or 413 naming the problem);
/// the rows are read in the background. 429 while the person has [`ACTIVE_PER_USER`] imports
/// queued or running.
pub async fn submit(
    svc: &Services,
    actor: &Actor,
    bytes: Vec<u8>,
    file_name: Option<&str>,
    opts: ImportOptions,
    mapping: Option<Vec<String>>,
) -> AppResult<ImportJob> {
    let id = create_job(svc, actor, bytes, file_name, opts, mapping).await?;
    spawn(svc, actor.clone(), id);
    get(svc, actor, id, 1, DEFAULT_ROW_LIMIT, None).await
}

/// Checks the file and options and stores a queued import (what [`submit`] does before it starts
/// the job in the background; the command line then runs [`run`] itself). Returns its id.
pub async fn create_job(
    svc: &Services,
    actor: &Actor,
    bytes: Vec<u8>,
    file_name: Option<&str>,
    opts: ImportOptions,
    mapping: Option<Vec<String>>,
) -> AppResult<i64> {
    let on_duplicate = check_on_duplicate(&opts.on_duplicate)?;
    let tag = check_tag(opts.tag.as_deref())?;
    check_format(opts.format.as_deref())?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::PayloadTooLarge(format!("the file is larger than {} MiB", MAX_FILE_BYTES >> 20)));
    }
    let file_name: String = file_name.unwrap_or("").chars().filter(|c| !c.is_control()).take(200).collect();
    let mut st = Stored { format: opts.format.clone(), mapping, ..Default::default() };
    // Opened once here (the 422 for a file no reader takes); the job reads the rows with the
    // mapping resolved now, without opening the file a second time.
    let (bytes, o) = open(svc, Some(actor.user_id), bytes, &file_name, &st).await?;
    st.headers = o.headers;
    st.columns = o.columns;
    st.profile = o.profile;
    let active = import::Entity::find()
        .filter(import::Column::UserId.eq(actor.user_id))
        .filter(import::Column::Status.is_in(["queued", "running"]))
        .filter(import::Column::UpdatedAt.gt(Utc::now() - chrono::Duration::seconds(STALE_SECS)))
        .count(&svc.db)
        .await?;
    if active >= ACTIVE_PER_USER {
        return Err(AppError::TooMany(format!("{active} of your imports are still running; wait for one to finish")));
    }
    let now = Utc::now();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let row = import::ActiveModel {
        user_id: Set(Some(actor.user_id)),
        status: Set("queued".into()),
        dry_run: Set(opts.dry_run),
        on_duplicate: Set(on_duplicate),
        all_or_nothing: Set(opts.all_or_nothing),
        tag: Set(tag),
        file_name: Set(file_name),
        file_bytes: Set(bytes.len() as i64),
        format: Set(o.format),
        encoding: Set(o.encoding),
        options: Set(serde_json::to_string(&st).unwrap_or_else(|_| "{}".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let backend = txn.get_database_backend();
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO import_files (import_id, bytes) VALUES ({}, {})",
            placeholder(backend, 1),
            placeholder(backend, 2)
        ),
        [row.id.into(), bytes.into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

fn spawn(svc: &Services, actor: Actor, id: i64) {
    let bg = svc.clone();
    tokio::spawn(async move {
        if let Err(e) = run(&bg, &actor, id).await {
            tracing::error!(import = id, error = %e, "import failed");
            let _ = fail(&bg, id, &format!("the import stopped: {e}")).await;
        }
    });
}

/// The fields a CSV/XLSX column can be read as, `(id, English label)`, for the mapping drop-downs.
pub fn field_choices() -> Vec<(String, String)> {
    Field::choices().into_iter().map(|(id, label)| (id, label.to_string())).collect()
}

/// Applies a finished preview: the same file, with the person's final choices (or, with
/// `dry_run`, previews it again with them). 409 unless the import is a finished preview whose file
/// is still kept.
pub async fn apply(svc: &Services, actor: &Actor, id: i64, input: ImportApply) -> AppResult<ImportJob> {
    let m = own(svc, actor, id).await?;
    if !m.dry_run || m.status != "done" {
        return Err(AppError::Conflict("only a finished preview can be applied".into()));
    }
    if !has_file(svc, id).await? {
        return Err(AppError::Conflict(format!(
            "the preview's file is no longer kept (previews are kept {PREVIEW_HOURS} hours); upload it again"
        )));
    }
    let mut st = stored(&m);
    let on_duplicate = match &input.on_duplicate {
        Some(v) => check_on_duplicate(v)?,
        None => m.on_duplicate.clone(),
    };
    let tag = match &input.tag {
        Some(t) => check_tag(Some(t))?,
        None => m.tag.clone(),
    };
    check_overrides(&input.overrides)?;
    if let Some(mapping) = &input.mapping {
        check_mapping(mapping)?;
        if !st.headers.is_empty() && mapping.len() != st.headers.len() {
            return Err(AppError::validation(
                "mapping",
                format!("the file has {} columns; give one field per column", st.headers.len()),
            ));
        }
        if !st.headers.is_empty() {
            let key = interchange::header_key(&st.headers);
            remember_mapping(svc, actor.user_id, &key, mapping).await?;
        }
        st.mapping = Some(mapping.clone());
    }
    st.overrides = input.overrides.clone();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    // The conditional update is the claim: of two parallel applies, one wins.
    let res = import::Entity::update_many()
        .col_expr(import::Column::DryRun, Expr::value(input.dry_run.unwrap_or(false)))
        .col_expr(import::Column::Status, Expr::value("queued"))
        .col_expr(import::Column::OnDuplicate, Expr::value(on_duplicate))
        .col_expr(import::Column::Tag, Expr::value(tag))
        .col_expr(import::Column::AllOrNothing, Expr::value(input.all_or_nothing.unwrap_or(m.all_or_nothing)))
        .col_expr(import::Column::Options, Expr::value(serde_json::to_string(&st).unwrap_or_else(|_| "{}".into())))
        .col_expr(import::Column::Done, Expr::value(0i64))
        .col_expr(import::Column::Created, Expr::value(0i64))
        .col_expr(import::Column::Updated, Expr::value(0i64))
        .col_expr(import::Column::Skipped, Expr::value(0i64))
        .col_expr(import::Column::Invalid, Expr::value(0i64))
        .col_expr(import::Column::FinishedAt, Expr::value(Option::<chrono::DateTime<Utc>>::None))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::DryRun.eq(true))
        .filter(import::Column::Status.eq("done"))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::Conflict("this preview is already being applied".into()));
    }
    import_row::Entity::delete_many().filter(import_row::Column::ImportId.eq(id)).exec(&txn).await?;
    txn.commit().await?;
    spawn(svc, actor.clone(), id);
    get(svc, actor, id, 1, DEFAULT_ROW_LIMIT, None).await
}

async fn has_file(svc: &Services, id: i64) -> AppResult<bool> {
    let backend = svc.db.get_database_backend();
    let row = svc
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT 1 FROM import_files WHERE import_id = {}", placeholder(backend, 1)),
            [id.into()],
        ))
        .await?;
    Ok(row.is_some())
}

async fn load_file(svc: &Services, id: i64) -> AppResult<Vec<u8>> {
    let backend = svc.db.get_database_backend();
    let row = svc
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT bytes FROM import_files WHERE import_id = {}", placeholder(backend, 1)),
            [id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::Conflict("the import's file is no longer kept".into()))?;
    Ok(row.try_get_by_index::<Vec<u8>>(0)?)
}

async fn drop_file<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("DELETE FROM import_files WHERE import_id = {}", placeholder(backend, 1)),
        [id.into()],
    ))
    .await?;
    Ok(())
}

/// Removes the files of previews older than [`PREVIEW_HOURS`] and of finished imports (scheduled
/// maintenance). Returns how many were removed.
pub async fn purge_files(svc: &Services) -> AppResult<u64> {
    let cutoff = Utc::now() - chrono::Duration::hours(PREVIEW_HOURS);
    let backend = svc.db.get_database_backend();
    let res = svc
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM import_files WHERE import_id IN (SELECT id FROM imports WHERE \
                 (status IN ('done', 'failed', 'undone') AND (dry_run = {f} OR updated_at < {p})) \
                 OR updated_at < {p})",
                f = if backend == DatabaseBackend::Postgres { "FALSE" } else { "0" },
                p = placeholder(backend, 1)
            ),
            [cutoff.into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

/// The import, if the actor may see it (its owner or an administrator): else 404.
async fn own(svc: &Services, actor: &Actor, id: i64) -> AppResult<import::Model> {
    let m = import::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("import"))?;
    if m.user_id != Some(actor.user_id) && !actor.is_admin {
        return Err(AppError::not_found("import"));
    }
    if matches!(m.status.as_str(), "queued" | "running") && (Utc::now() - m.updated_at).num_seconds() > STALE_SECS {
        fail(svc, id, "interrupted: no progress for 10 minutes (the server stopped?); start it again").await?;
        return import::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("import"));
    }
    Ok(m)
}

/// An import with one page of its rows (`action` filters them: create | update | skip | invalid).
pub async fn get(
    svc: &Services,
    actor: &Actor,
    id: i64,
    page: u64,
    limit: u64,
    action: Option<&str>,
) -> AppResult<ImportJob> {
    let (page, limit) = crate::platform::db::paging(Some(page), Some(limit), DEFAULT_ROW_LIMIT)?;
    if let Some(a) = action {
        if !crate::import_dto::ROW_ACTIONS.contains(&a) {
            return Err(AppError::validation("action", "must be create, update, skip or invalid"));
        }
    }
    let m = own(svc, actor, id).await?;
    let mut q = import_row::Entity::find().filter(import_row::Column::ImportId.eq(id));
    if let Some(a) = action {
        q = q.filter(import_row::Column::Action.eq(a));
    }
    let rows_total = q.clone().count(&svc.db).await?;
    let rows = q
        .order_by_asc(import_row::Column::Id)
        .offset((page - 1) * limit)
        .limit(limit)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|r| ImportRow {
            line: r.line,
            action: r.action,
            contact_id: r.contact_id,
            match_id: r.match_id,
            name: r.name,
            detail: r.detail,
        })
        .collect();
    let st = stored(&m);
    Ok(ImportJob {
        can_undo: can_undo(&m),
        progress: progress(&m),
        id: m.id,
        status: m.status,
        dry_run: m.dry_run,
        on_duplicate: m.on_duplicate,
        all_or_nothing: m.all_or_nothing,
        tag: m.tag,
        file_name: m.file_name,
        file_bytes: m.file_bytes,
        format: m.format,
        encoding: m.encoding,
        headers: st.headers,
        mapping: st.columns,
        profile: st.profile,
        total: m.total,
        done: m.done,
        created: m.created,
        updated: m.updated,
        skipped: m.skipped,
        invalid: m.invalid,
        error: m.error,
        created_at: m.created_at,
        updated_at: m.updated_at,
        finished_at: m.finished_at,
        undone_at: m.undone_at,
        rows,
        rows_total,
        page,
        limit,
    })
}

/// The actor's imports (an administrator's: everyone's), newest first.
pub async fn list(
    svc: &Services,
    actor: &Actor,
    page: Option<u64>,
    limit: Option<u64>,
) -> AppResult<crate::dto::Page<ImportSummary>> {
    let (page, limit) = crate::platform::db::paging(page, limit, 20)?;
    let mut q = import::Entity::find();
    if !actor.is_admin {
        q = q.filter(import::Column::UserId.eq(actor.user_id));
    }
    let total = q.clone().count(&svc.db).await?;
    let items = q
        .order_by_desc(import::Column::Id)
        .offset((page - 1) * limit)
        .limit(limit)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(summary)
        .collect();
    Ok(crate::dto::Page::numbered(items, total, page, limit))
}

/// The job's row as progress (the command line has no HTTP poll).
pub async fn by_id(svc: &Services, id: i64) -> AppResult<import::Model> {
    import::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("import"))
}

async fn fail(svc: &Services, id: i64, error: &str) -> AppResult<()> {
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("failed"))
        .col_expr(import::Column::Error, Expr::value(Some(error.to_string())))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(Utc::now())))
        .filter(import::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Where a row's match is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// A stored contact.
    Contact(i64),
    /// An earlier row of this file that will be created (its slot in `Plan::slots`).
    Row(usize),
}

#[derive(Clone, Debug)]
struct Found {
    target: Target,
    /// Same UID (or the same content fingerprint): the same contact, not just a look-alike.
    same: bool,
    why: String,
}

/// A row to be created, possibly with later rows of the file folded into it.
struct Slot {
    line: i64,
    uid: String,
    clean: Clean,
    /// The row as it was matched (later rows of the file are matched against this).
    norm: dedup::Normalized,
    /// Whether a later row was folded into `clean` (then `norm` no longer gives its stored keys).
    folded: bool,
    /// The contact it became (once written).
    contact_id: Option<i64>,
    /// A pending duplicate pair to record once written (created anyway despite a match).
    pair: Option<(Target, dedup::Match)>,
    /// The row's photo (vCard `PHOTO`), checked.
    photo: Option<Box<RowPhoto>>,
}

/// A row's photo that passed [`crate::contacts::photos::check_blocking`]: its sniffed type and bytes.
struct RowPhoto {
    media_type: &'static str,
    data: Vec<u8>,
}

/// One row's outcome, as written to `import_rows`.
struct Outcome {
    line: i64,
    action: &'static str,
    contact_id: Option<i64>,
    match_id: Option<i64>,
    /// For a create: its slot (the contact id is known after the insert).
    slot: Option<usize>,
    name: String,
    detail: String,
    before: Option<String>,
    version_after: Option<i32>,
}

/// Everything a run keeps between chunks.
struct Plan {
    slots: Vec<Slot>,
    /// Blocking key → slots with that key (capped like the database lookups).
    by_key: HashMap<String, Vec<usize>>,
    /// UID → slot, for files that list the same card twice.
    by_uid: HashMap<String, usize>,
    /// Contacts this import created (their slots are in `by_key`).
    created: HashSet<i64>,
    /// Search-vocabulary rows this import has written (names repeat: most chunks would write them
    /// again to no effect). Capped at [`WORDS_REMEMBERED`].
    words_written: HashSet<(String, String)>,
    /// Tag and group names → ids, created once per import.
    tag_ids: HashMap<String, i64>,
    group_ids: HashMap<String, i64>,
    counts: Counts,
    /// Seconds spent per phase (logged at the end: where an import's time goes).
    times: Times,
    /// The CRM's default phone region, read once per import.
    region: String,
}

#[derive(Default, Clone, Copy, Debug)]
struct Times {
    read: f64,
    lookup: f64,
    decide: f64,
    write: f64,
    /// Parts of `write`: the contact rows (with their search-index triggers), phones, e-mails,
    /// tags, groups, keys and audit, the search vocabulary, the commit.
    write_contacts: f64,
    write_children: f64,
    write_words: f64,
    commit: f64,
    /// Stored contacts loaded to be scored against.
    candidates: u64,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    created: i64,
    updated: i64,
    skipped: i64,
    invalid: i64,
}

/// A row read and checked.
enum Checked {
    Invalid { line: i64, name: String, detail: String },
    Ok { line: i64, name: String, uid: String, clean: Box<Clean>, photo: Option<Box<RowPhoto>> },
}

/// An update of a stored contact: the fields to write (none: only a photo) and the photo to add.
struct Update {
    outcome: usize,
    contact_id: i64,
    input: Option<ContactInput>,
    photo: Option<Box<RowPhoto>>,
}
