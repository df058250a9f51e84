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

use crate::contacts::{self, Clean};
use crate::dto::{Contact, ContactInput, EmailInput, NameRef, PhoneInput};
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
        let result = Reader::new(&bytes, &opts).map(|r| opened(&r)).map_err(|e| e.to_string());
        (bytes, result)
    })
    .await
    .map_err(|e| AppError::Internal(format!("import reader: {e}")))?;
    let mut o = result.map_err(|e| AppError::validation("file", e))?;
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
    Ok(crate::dto::Page { items, total, page, limit, pages: total.div_ceil(limit) })
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
    norm: dedup::Normalized,
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

/// The content fingerprint of a row without a UID: re-importing the same row finds the contact it
/// made. Taken before the import's tag is added, so the same file imported with another tag still
/// matches.
fn fingerprint(input: &ContactInput) -> String {
    let text = serde_json::to_string(input).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    format!("import-{}", hex::encode(&digest[..16]))
}

fn check_row(item: Result<ContactRecord, interchange::RowError>, tag: &str, region: &str) -> Checked {
    let mut rec = match item {
        Ok(r) => r,
        Err(e) => return Checked::Invalid { line: e.line as i64, name: String::new(), detail: e.detail },
    };
    // A photo is kept only if it is an image we keep (type sniffed, decoded); a bad one is dropped,
    // not the row.
    let photo = rec.photo.take().and_then(|p| match crate::contacts::photos::check_blocking(&p.bytes) {
        Ok(media_type) => Some(Box::new(RowPhoto { media_type, data: p.bytes })),
        Err(_) => None,
    });
    let line = rec.line as i64;
    let name = rec.display_name();
    let mut input = crate::transfer::record_to_input(&rec);
    let uid = if rec.uid.trim().is_empty() { fingerprint(&input) } else { rec.uid.trim().chars().take(200).collect() };
    if !tag.is_empty() {
        input.tags.push(NameRef::Name(tag.to_string()));
    }
    // The service keeps 20 phones and 20 e-mails; a record with more is cut, not refused.
    input.phones.truncate(20);
    input.emails.truncate(20);
    match contacts::clean(input, region) {
        Ok(c) => Checked::Ok { line, name, uid, clean: Box::new(c), photo },
        Err(e) => Checked::Invalid { line, name, detail: e.to_string() },
    }
}

/// Adds to `stored` what `incoming` has and it lacks; `None` when nothing is new. Never removes
/// or overwrites a value the stored contact has.
fn merged(stored: &Contact, incoming: &Clean) -> Option<(ContactInput, Vec<&'static str>)> {
    let mut out = ContactInput::from(stored);
    out.version = Some(stored.version);
    let i = &incoming.input;
    let mut added: Vec<&'static str> = Vec::new();
    for (name, dst, src) in [
        ("prefix", &mut out.prefix, &i.prefix),
        ("first_name", &mut out.first_name, &i.first_name),
        ("middle_name", &mut out.middle_name, &i.middle_name),
        ("last_name", &mut out.last_name, &i.last_name),
        ("full_name", &mut out.full_name, &i.full_name),
        ("company", &mut out.company, &i.company),
        ("position", &mut out.position, &i.position),
        ("department", &mut out.department, &i.department),
        ("website", &mut out.website, &i.website),
        ("address", &mut out.address, &i.address),
    ] {
        if dst.trim().is_empty() && !src.is_empty() {
            *dst = src.clone();
            added.push(name);
        }
    }
    if !i.notes.is_empty() && !out.notes.contains(i.notes.as_str()) {
        let joined = if out.notes.is_empty() { i.notes.clone() } else { format!("{}\n\n{}", out.notes, i.notes) };
        if joined.chars().count() <= 20_000 {
            out.notes = joined;
            added.push("notes");
        }
    }
    let digits = |s: &str| crate::platform::text::digits(s);
    let mut phone_added = false;
    for p in &incoming.phones {
        let known = stored.phones.iter().any(|q| {
            (p.e164.is_some() && q.e164 == p.e164)
                || (!digits(&q.number).is_empty() && digits(&q.number) == digits(&p.number))
        }) || out.phones.iter().any(|q| digits(&q.number) == digits(&p.number));
        if !known && out.phones.len() < 20 {
            out.phones.push(PhoneInput { kind: p.kind.clone(), number: p.number.clone() });
            phone_added = true;
        }
    }
    if phone_added {
        added.push("phones");
    }
    let mut email_added = false;
    for (kind, address, key) in &incoming.emails {
        let known = stored.emails.iter().any(|e| crate::platform::text::email_key(&e.address) == *key)
            || out.emails.iter().any(|e| crate::platform::text::email_key(&e.address) == *key);
        if !known && out.emails.len() < 20 {
            out.emails.push(EmailInput { kind: kind.clone(), address: address.clone() });
            email_added = true;
        }
    }
    if email_added {
        added.push("emails");
    }
    for (name, list, new) in [("tags", &mut out.tags, &incoming.tags), ("groups", &mut out.groups, &incoming.groups)] {
        let mut any = false;
        for n in new {
            if !list.iter().any(|x| x.name().to_lowercase() == n.to_lowercase()) {
                list.push(NameRef::Name(n.clone()));
                any = true;
            }
        }
        if any {
            added.push(name);
        }
    }
    out.source = None;
    if added.is_empty() {
        None
    } else {
        Some((out, added))
    }
}

/// Folds a later row of the file into a row to be created (the same rules as [`merged`]).
fn fold(into: &mut Clean, from: &Clean) -> Vec<&'static str> {
    let mut added = Vec::new();
    let (dst, src) = (&mut into.input, &from.input);
    for (name, d, s) in [
        ("prefix", &mut dst.prefix, &src.prefix),
        ("first_name", &mut dst.first_name, &src.first_name),
        ("middle_name", &mut dst.middle_name, &src.middle_name),
        ("last_name", &mut dst.last_name, &src.last_name),
        ("full_name", &mut dst.full_name, &src.full_name),
        ("company", &mut dst.company, &src.company),
        ("position", &mut dst.position, &src.position),
        ("department", &mut dst.department, &src.department),
        ("website", &mut dst.website, &src.website),
        ("address", &mut dst.address, &src.address),
    ] {
        if d.is_empty() && !s.is_empty() {
            *d = s.clone();
            added.push(name);
        }
    }
    for p in &from.phones {
        let d = crate::platform::text::digits(&p.number);
        if into.phones.len() < 20 && !into.phones.iter().any(|q| crate::platform::text::digits(&q.number) == d) {
            into.phones.push(p.clone());
            added.push("phones");
        }
    }
    for e in &from.emails {
        if into.emails.len() < 20 && !into.emails.iter().any(|x| x.2 == e.2) {
            into.emails.push(e.clone());
            added.push("emails");
        }
    }
    for t in &from.tags {
        if !into.tags.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
            into.tags.push(t.clone());
            added.push("tags");
        }
    }
    for g in &from.groups {
        if !into.groups.iter().any(|x| x.to_lowercase() == g.to_lowercase()) {
            into.groups.push(g.clone());
            added.push("groups");
        }
    }
    added.dedup();
    added
}

fn why(m: &dedup::Match) -> String {
    let mut fields: Vec<&str> = m.match_fields.iter().filter(|f| f.score >= 0.8).map(|f| f.field.as_str()).collect();
    fields.dedup();
    if fields.is_empty() {
        format!("score {:.2}", m.score)
    } else {
        format!("score {:.2}: {}", m.score, fields.join(", "))
    }
}

/// Runs an import (queued → running → done | failed). `actor` is whom the writes are recorded as.
pub async fn run(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let m = by_id(svc, id).await?;
    if m.status != "queued" {
        return Ok(());
    }
    let bytes = load_file(svc, id).await?;
    let mut st = stored(&m);
    // The mapping: chosen by the person, else the one resolved when the file was submitted
    // (remembered or proposed); a job stored without one gets the reader's proposal.
    let mapping = match st.mapping.clone().or_else(|| Some(st.columns.clone()).filter(|c| !c.is_empty())) {
        Some(m) => match check_mapping(&m) {
            Ok(m) => Some(m),
            Err(e) => return fail(svc, id, &e.to_string()).await,
        },
        None => None,
    };
    let (s, region) = crate::contacts::matching::settings_and_region(svc).await?;
    // Reading and checking is CPU work on the whole file: off the async threads, in one pass.
    let tag = m.tag.clone();
    let read_started = std::time::Instant::now();
    let opts = read_options(st.format.as_deref(), &m.file_name, mapping);
    let region2 = region.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<(Opened, Vec<Checked>), String> {
        let reader = Reader::new(&bytes, &opts).map_err(|e| e.to_string())?;
        let o = opened(&reader);
        let checked = reader.map(|item| check_row(item, &tag, &region2)).collect();
        Ok((o, checked))
    })
    .await
    .map_err(|e| AppError::Internal(format!("import reader: {e}")))?;
    let (o, checked) = match read {
        Ok(r) => r,
        Err(e) => return fail(svc, id, &e).await,
    };
    let format = o.format;
    let encoding = o.encoding;
    st.headers = o.headers;
    st.columns = o.columns;
    st.profile = o.profile;
    let read_secs = read_started.elapsed().as_secs_f64();
    let total = checked.len() as i64;
    let invalid_lines: Vec<String> = checked
        .iter()
        .filter_map(|c| match c {
            Checked::Invalid { line, detail, .. } => Some(format!("line {line}: {detail}")),
            _ => None,
        })
        .take(3)
        .collect();
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("running"))
        .col_expr(import::Column::Format, Expr::value(format))
        .col_expr(import::Column::Encoding, Expr::value(encoding))
        .col_expr(import::Column::Options, Expr::value(serde_json::to_string(&st).unwrap_or_else(|_| "{}".into())))
        .col_expr(import::Column::Total, Expr::value(total))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    if total == 0 {
        return fail(svc, id, "the file has no contacts").await;
    }
    let all_or_nothing_failed = m.all_or_nothing && !m.dry_run && !invalid_lines.is_empty();
    let dry_run = m.dry_run || all_or_nothing_failed;
    let overrides: HashMap<i64, String> = st.overrides.iter().map(|o| (o.line, o.action.clone())).collect();
    let mut plan = Plan {
        slots: Vec::new(),
        by_key: HashMap::new(),
        by_uid: HashMap::new(),
        created: HashSet::new(),
        words_written: HashSet::new(),
        tag_ids: HashMap::new(),
        group_ids: HashMap::new(),
        counts: Counts::default(),
        times: Times { read: read_secs, ..Times::default() },
        region,
    };
    let mut done = 0i64;
    let mut next_statistics = 1000;
    let mut rows = checked.into_iter().peekable();
    let started = std::time::Instant::now();
    while rows.peek().is_some() {
        let chunk: Vec<Checked> = rows.by_ref().take(CHUNK).collect();
        let n = chunk.len() as i64;
        let result = chunk_step(svc, actor, &m, &s, &mut plan, chunk, &overrides, dry_run).await;
        if let Err(e) = result {
            let undo_note = if m.all_or_nothing && !m.dry_run && plan.counts.created + plan.counts.updated > 0 {
                // All or nothing: what earlier chunks wrote is taken back.
                import::Entity::update_many()
                    .col_expr(import::Column::Status, Expr::value("done"))
                    .col_expr(import::Column::FinishedAt, Expr::value(Some(Utc::now())))
                    .filter(import::Column::Id.eq(id))
                    .exec(&svc.db)
                    .await?;
                match undo_inner(svc, actor, id).await {
                    Ok(_) => "; what was imported before it was taken back",
                    Err(_) => "; taking back what was imported before it failed too: undo it from the import's page",
                }
            } else {
                ""
            };
            return fail(svc, id, &format!("{e}{undo_note}")).await;
        }
        done += n;
        if plan.counts.created >= next_statistics {
            postgres_upkeep(svc, "ANALYZE").await;
            next_statistics *= 2;
        }
        import::Entity::update_many()
            .col_expr(import::Column::Done, Expr::value(done))
            .col_expr(import::Column::Created, Expr::value(plan.counts.created))
            .col_expr(import::Column::Updated, Expr::value(plan.counts.updated))
            .col_expr(import::Column::Skipped, Expr::value(plan.counts.skipped))
            .col_expr(import::Column::Invalid, Expr::value(plan.counts.invalid))
            .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(import::Column::Id.eq(id))
            .exec(&svc.db)
            .await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let t = plan.times;
    tracing::info!(
        import = id,
        rows = total,
        read_s = format!("{:.2}", t.read),
        lookup_s = format!("{:.2}", t.lookup),
        decide_s = format!("{:.2}", t.decide),
        write_s = format!("{:.2}", t.write),
        contacts_s = format!("{:.2}", t.write_contacts),
        children_s = format!("{:.2}", t.write_children),
        words_s = format!("{:.2}", t.write_words),
        commit_s = format!("{:.2}", t.commit),
        candidates = t.candidates,
        "import phases"
    );
    let (status, error) = if all_or_nothing_failed {
        (
            "failed",
            Some(format!(
                "nothing was imported: {} row(s) are invalid ({}{}) and all-or-nothing was asked",
                plan.counts.invalid,
                invalid_lines.join("; "),
                if plan.counts.invalid > 3 { "; …" } else { "" }
            )),
        )
    } else {
        ("done", None)
    };
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(status))
        .col_expr(import::Column::Error, Expr::value(error))
        .col_expr(import::Column::DryRun, Expr::value(m.dry_run))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(Utc::now())))
        .filter(import::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if !m.dry_run {
        drop_file(&txn, id).await?;
    }
    txn.commit().await?;
    if !dry_run {
        metrics::counter!("imports_total", "format" => m.format.clone()).increment(1);
        metrics::counter!("import_rows_total").increment(total as u64);
        if elapsed > 0.0 {
            tracing::info!(
                import = id,
                rows = total,
                seconds = elapsed,
                rows_per_s = total as f64 / elapsed,
                "import done"
            );
        }
        if plan.counts.created > 0 {
            postgres_upkeep(svc, "VACUUM ANALYZE").await;
        }
    }
    Ok(())
}

/// Decides (and unless `dry_run`, writes) one chunk of rows.
#[allow(clippy::too_many_arguments)]
async fn chunk_step(
    svc: &Services,
    actor: &Actor,
    m: &import::Model,
    s: &dedup::Settings,
    plan: &mut Plan,
    chunk: Vec<Checked>,
    overrides: &HashMap<i64, String>,
    dry_run: bool,
) -> AppResult<()> {
    // 1. What the chunk's rows may match: stored contacts by UID, then, for the rows whose UID
    // is new (or seen earlier in this file), stored contacts by duplicate keys. A re-import finds
    // every row by its UID and looks up no keys.
    let phase = std::time::Instant::now();
    let uids: Vec<String> = chunk
        .iter()
        .filter_map(|c| match c {
            Checked::Ok { uid, .. } => Some(uid.clone()),
            Checked::Invalid { .. } => None,
        })
        .collect();
    let by_uid = contacts_by_uid(&svc.db, &uids).await?;
    let mut norms: Vec<Option<dedup::Normalized>> = Vec::with_capacity(chunk.len());
    let mut keys: Vec<String> = Vec::new();
    let mut seen_keys: HashSet<String> = HashSet::new();
    for c in &chunk {
        match c {
            Checked::Ok { uid, clean, .. } => {
                let n = crate::contacts::matching::normalize_draft(0, clean, s);
                if !by_uid.contains_key(uid) && !plan.by_uid.contains_key(uid) {
                    for k in dedup::blocking_keys(&n) {
                        if seen_keys.insert(k.clone()) {
                            keys.push(k);
                        }
                    }
                }
                norms.push(Some(n));
            }
            Checked::Invalid { .. } => norms.push(None),
        }
    }
    let key_hits = lookup_keys(&svc.db, &keys, s).await?;
    // Contacts this import created are matched through the file's own index (their rows are
    // there, normalised): loading them back from the database would only repeat that work.
    let mut candidate_ids: Vec<i64> =
        key_hits.values().flatten().copied().filter(|id| !plan.created.contains(id)).collect();
    candidate_ids.extend(by_uid.values().copied());
    candidate_ids.sort_unstable();
    candidate_ids.dedup();
    let light = load_light_by_ids(&svc.db, &candidate_ids).await?;
    let stored_norm: HashMap<i64, dedup::Normalized> =
        light.iter().map(|l| (l.input.id, dedup::normalize(&l.input, s))).collect();
    let names: HashMap<i64, String> = light
        .iter()
        .map(|l| {
            let n =
                if l.summary.full_name.is_empty() { l.summary.company.clone() } else { l.summary.full_name.clone() };
            (l.input.id, n)
        })
        .collect();

    plan.times.lookup += phase.elapsed().as_secs_f64();
    plan.times.candidates += light.len() as u64;
    let phase = std::time::Instant::now();
    // 2. Decide each row.
    enum Todo {
        Create { slot: usize, note: Option<String> },
        Update { contact_id: i64, found: Found, clean: Box<Clean>, photo: Option<Box<RowPhoto>> },
        Skip { found: Option<Found>, detail: String },
        Fold { slot: usize, clean: Box<Clean>, photo: Option<Box<RowPhoto>> },
        Invalid { detail: String },
    }
    let mut todo: Vec<(i64, String, Todo)> = Vec::with_capacity(chunk.len());
    for (c, norm) in chunk.into_iter().zip(norms) {
        let (line, name, uid, clean, photo) = match c {
            Checked::Invalid { line, name, detail } => {
                todo.push((line, name, Todo::Invalid { detail }));
                continue;
            }
            Checked::Ok { line, name, uid, clean, photo } => (line, name, uid, clean, photo),
        };
        let norm = norm.unwrap_or_default();
        // Same UID: stored, else an earlier row.
        let mut found: Option<Found> = if let Some(id) = by_uid.get(&uid) {
            Some(Found { target: Target::Contact(*id), same: true, why: "the same UID".into() })
        } else {
            plan.by_uid.get(&uid).map(|slot| Found {
                target: plan.slots[*slot].contact_id.map(Target::Contact).unwrap_or(Target::Row(*slot)),
                same: true,
                why: format!("the same UID as line {}", plan.slots[*slot].line),
            })
        };
        let mut best_match: Option<dedup::Match> = None;
        if found.is_none() {
            let row_keys = dedup::blocking_keys(&norm);
            // Stored contacts sharing a key.
            let mut ids: Vec<i64> = row_keys.iter().filter_map(|k| key_hits.get(k)).flatten().copied().collect();
            ids.sort_unstable();
            ids.dedup();
            let stored_best = dedup::candidates(&norm, ids.iter().filter_map(|i| stored_norm.get(i)), s)
                .into_iter()
                .find(|(_, m)| m.score >= s.threshold);
            // Earlier rows of the file sharing a key (synthetic ids: -(slot + 1)).
            let mut slots: Vec<usize> = row_keys.iter().filter_map(|k| plan.by_key.get(k)).flatten().copied().collect();
            slots.sort_unstable();
            slots.dedup();
            let row_norms: Vec<dedup::Normalized> = slots
                .iter()
                .map(|&i| dedup::Normalized { id: -(i as i64) - 1, ..plan.slots[i].norm.clone() })
                .collect();
            let row_best =
                dedup::candidates(&norm, row_norms.iter(), s).into_iter().find(|(_, m)| m.score >= s.threshold);
            let pick = match (stored_best, row_best) {
                (Some(a), Some(b)) => Some(if b.1.score > a.1.score { b } else { a }),
                (a, b) => a.or(b),
            };
            if let Some((id, mm)) = pick {
                let target = if id < 0 {
                    let slot = (-id - 1) as usize;
                    plan.slots[slot].contact_id.map(Target::Contact).unwrap_or(Target::Row(slot))
                } else {
                    Target::Contact(id)
                };
                found = Some(Found { target, same: false, why: why(&mm) });
                best_match = Some(mm);
            }
        }
        let choice = overrides.get(&line).map(String::as_str).unwrap_or(m.on_duplicate.as_str());
        let describe = |f: &Found| -> String {
            match f.target {
                Target::Contact(id) => {
                    let who = names.get(&id).cloned().unwrap_or_default();
                    if f.same {
                        format!("already in cardcrm as #{id} {who} ({})", f.why)
                    } else {
                        format!("looks like #{id} {who} ({})", f.why)
                    }
                }
                Target::Row(slot) => format!("the same person as line {} ({})", plan.slots[slot].line, f.why),
            }
        };
        let decision = match found {
            // The person skipped a row that matches nothing.
            None if overrides.get(&line).is_some_and(|o| o == "skip") => {
                todo.push((line, name, Todo::Skip { found: None, detail: "skipped by you".into() }));
                continue;
            }
            None => None,
            // The same contact again: never a second copy; with skip it stays as it is.
            Some(f) if f.same => Some(if choice == "skip" { ("skip", f) } else { ("merge", f) }),
            Some(f) => Some(match choice {
                "merge" => ("merge", f),
                "create" => ("create", f),
                _ => ("skip", f),
            }),
        };
        match decision {
            None | Some(("create", _)) => {
                let slot = plan.slots.len();
                let pair = match (&decision, best_match) {
                    (Some((_, f)), Some(mm)) => Some((f.target, mm)),
                    _ => None,
                };
                for k in dedup::blocking_keys(&norm) {
                    let list = plan.by_key.entry(k.clone()).or_default();
                    if list.len() < dedup::blocking::lookup_limit(&k, s) {
                        list.push(slot);
                    }
                }
                plan.by_uid.entry(uid.clone()).or_insert(slot);
                let note = decision.as_ref().map(|(_, f)| describe(f));
                plan.slots.push(Slot { line, uid, clean: *clean, norm, contact_id: None, pair, photo });
                todo.push((line, name, Todo::Create { slot, note }));
            }
            Some(("merge", f)) => match f.target {
                Target::Contact(contact_id) => {
                    todo.push((line, name, Todo::Update { contact_id, found: f, clean, photo }))
                }
                Target::Row(slot) => todo.push((line, name, Todo::Fold { slot, clean, photo })),
            },
            Some((_, f)) => {
                let detail = describe(&f);
                todo.push((line, name, Todo::Skip { found: Some(f), detail }));
            }
        }
    }

    // 3. Work out updates against the stored contacts (nothing new → skip, unchanged).
    let update_ids: Vec<i64> = todo
        .iter()
        .filter_map(|t| match &t.2 {
            Todo::Update { contact_id, .. } => Some(*contact_id),
            _ => None,
        })
        .collect();
    let stored_full: HashMap<i64, Contact> = if update_ids.is_empty() {
        HashMap::new()
    } else {
        let models = contact::Entity::find().filter(contact::Column::Id.is_in(update_ids)).all(&svc.db).await?;
        contacts::load_many(&svc.db, models).await?.into_iter().map(|c| (c.id, c)).collect()
    };

    let mut outcomes: Vec<Outcome> = Vec::with_capacity(todo.len());
    let mut updates: Vec<Update> = Vec::new();
    for (line, name, t) in todo {
        let mut o = Outcome {
            line,
            action: "skip",
            contact_id: None,
            match_id: None,
            slot: None,
            name,
            detail: String::new(),
            before: None,
            version_after: None,
        };
        match t {
            Todo::Invalid { detail } => {
                o.action = "invalid";
                o.detail = detail;
                plan.counts.invalid += 1;
            }
            Todo::Create { slot, note } => {
                o.action = "create";
                o.slot = Some(slot);
                if let Some(d) = note {
                    o.detail = format!("created anyway: {d}");
                    if let Some((Target::Contact(id), _)) = &plan.slots[slot].pair {
                        o.match_id = Some(*id);
                    }
                }
                plan.counts.created += 1;
            }
            Todo::Skip { found, detail } => {
                if let Some(Found { target: Target::Contact(id), .. }) = found {
                    o.match_id = Some(id);
                }
                o.detail = detail;
                plan.counts.skipped += 1;
            }
            Todo::Fold { slot, clean, photo } => {
                let mut added = fold(&mut plan.slots[slot].clean, &clean);
                if plan.slots[slot].photo.is_none() && photo.is_some() {
                    plan.slots[slot].photo = photo;
                    added.push("photo");
                }
                o.detail = if added.is_empty() {
                    format!("the same person as line {}: nothing new", plan.slots[slot].line)
                } else {
                    format!("merged into line {}: adds {}", plan.slots[slot].line, added.join(", "))
                };
                plan.counts.skipped += 1;
            }
            Todo::Update { contact_id, found, clean, photo } => {
                o.match_id = Some(contact_id);
                let Some(current) = stored_full.get(&contact_id) else {
                    o.detail = format!("#{contact_id} is no longer there");
                    plan.counts.skipped += 1;
                    outcomes.push(o);
                    continue;
                };
                let lead = if found.same {
                    "already in cardcrm".to_string()
                } else {
                    format!("looks like #{contact_id} ({})", found.why)
                };
                // A photo is added only to a contact without one: a stored photo is never replaced.
                let photo = photo.filter(|_| !current.has_photo);
                match (merged(current, &clean), photo) {
                    (None, None) => {
                        o.detail = format!("{lead}: nothing new");
                        plan.counts.skipped += 1;
                    }
                    (fields, photo) => {
                        let mut added = fields.as_ref().map(|f| f.1.clone()).unwrap_or_default();
                        if photo.is_some() {
                            added.push("photo");
                        }
                        o.action = "update";
                        o.contact_id = Some(contact_id);
                        o.detail = format!("{lead}: adds {}", added.join(", "));
                        o.before = Some(serde_json::to_string(&ContactInput::from(current)).unwrap_or_default());
                        // A photo alone leaves the fields (and the version) as they are.
                        o.version_after = Some(current.version);
                        updates.push(Update { outcome: outcomes.len(), contact_id, input: fields.map(|f| f.0), photo });
                        plan.counts.updated += 1;
                    }
                }
            }
        }
        outcomes.push(o);
    }

    plan.times.decide += phase.elapsed().as_secs_f64();
    let phase = std::time::Instant::now();
    // 4. Write.
    if !dry_run {
        write_chunk(svc, actor, m.id, s, plan, &mut outcomes, updates).await?;
    } else {
        write_outcomes(&svc.db, m.id, &outcomes, plan).await?;
    }
    plan.times.write += phase.elapsed().as_secs_f64();
    Ok(())
}

/// An update of a stored contact: the fields to write (none: only a photo) and the photo to add.
struct Update {
    outcome: usize,
    contact_id: i64,
    input: Option<ContactInput>,
    photo: Option<Box<RowPhoto>>,
}

async fn contacts_by_uid<C: ConnectionTrait>(db: &C, uids: &[String]) -> AppResult<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for part in uids.chunks(500) {
        let rows = contact::Entity::find()
            .select_only()
            .column(contact::Column::Uid)
            .column(contact::Column::Id)
            .column(contact::Column::DeletedAt)
            .column(contact::Column::MergedIntoId)
            .filter(contact::Column::Uid.is_in(part.to_vec()))
            .into_tuple::<(String, i64, Option<chrono::DateTime<Utc>>, Option<i64>)>()
            .all(db)
            .await?;
        for (uid, id, deleted, merged_into) in rows {
            // A contact in the trash is not brought back by an import; one merged into another
            // is that other contact now.
            if deleted.is_some() {
                continue;
            }
            let id = match merged_into {
                Some(into) => match survivor(db, into).await? {
                    Some(s) => s,
                    None => continue,
                },
                None => id,
            };
            out.insert(uid, id);
        }
    }
    Ok(out)
}

/// The live contact a merged one ended up in (following merges of merges), if any.
async fn survivor<C: ConnectionTrait>(db: &C, mut id: i64) -> AppResult<Option<i64>> {
    for _ in 0..16 {
        let row: Option<(Option<chrono::DateTime<Utc>>, Option<i64>)> = contact::Entity::find_by_id(id)
            .select_only()
            .column(contact::Column::DeletedAt)
            .column(contact::Column::MergedIntoId)
            .into_tuple()
            .one(db)
            .await?;
        match row {
            Some((None, None)) => return Ok(Some(id)),
            Some((None, Some(into))) => id = into,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Every key's capped equality lookup (as check-on-create does per draft), many keys per statement.
async fn lookup_keys<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
    s: &dedup::Settings,
) -> AppResult<HashMap<String, Vec<i64>>> {
    let backend = db.get_database_backend();
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    if backend == DatabaseBackend::Postgres {
        return lookup_keys_postgres(db, keys, s).await;
    }
    for part in keys.chunks(KEYS_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len());
        let mut arms: Vec<String> = Vec::with_capacity(part.len());
        for (i, key) in part.iter().enumerate() {
            let limit = dedup::blocking::lookup_limit(key, s);
            values.push(key.clone().into());
            arms.push(format!(
                "SELECT {i} AS k, contact_id FROM (SELECT contact_id FROM contact_keys WHERE key = {} LIMIT {limit}) AS k{i}",
                placeholder(backend, values.len())
            ));
        }
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, arms.join(" UNION ALL "), values)).await?;
        for r in rows {
            let k: i32 = r.try_get_by_index(0)?;
            let id: i64 = r.try_get_by_index(1)?;
            if let Some(key) = part.get(k as usize) {
                out.entry(key.clone()).or_default().push(id);
            }
        }
    }
    Ok(out)
}

/// PostgreSQL: one statement per 2,000 keys, each key looked up with its own `LIMIT` by a lateral
/// join over the keys passed as two delimited texts (a `UNION ALL` of hundreds of capped arms,
/// as SQLite gets, took PostgreSQL longer to plan than to run: 119 s of lookups for 100,000 rows
/// into an empty table).
async fn lookup_keys_postgres<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
    s: &dedup::Settings,
) -> AppResult<HashMap<String, Vec<i64>>> {
    const SEP: char = '\u{1f}';
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    // A key holding the separator cannot be stored by `dedup` (keys are folded text); skip it
    // rather than split it.
    let keys: Vec<&String> = keys.iter().filter(|k| !k.contains(SEP)).collect();
    for part in keys.chunks(2000) {
        let joined = part.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("\u{1f}");
        let limits = part.iter().map(|k| dedup::blocking::lookup_limit(k, s).to_string()).collect::<Vec<_>>().join(",");
        let sql = "SELECT (k.ord - 1)::int4 AS k, ck.contact_id \
                   FROM unnest(string_to_array($1, chr(31)), string_to_array($2, ',')::int4[]) \
                        WITH ORDINALITY AS k(key, lim, ord) \
                   CROSS JOIN LATERAL (SELECT contact_id FROM contact_keys WHERE key = k.key LIMIT k.lim) AS ck";
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                sql,
                [joined.into(), limits.into()],
            ))
            .await?;
        for r in rows {
            let k: i32 = r.try_get_by_index(0)?;
            let id: i64 = r.try_get_by_index(1)?;
            if let Some(key) = part.get(k as usize) {
                out.entry((*key).clone()).or_default().push(id);
            }
        }
    }
    Ok(out)
}

async fn load_light_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<Vec<crate::contacts::matching::Light>> {
    let backend = db.get_database_backend();
    let mut out = Vec::with_capacity(ids.len());
    for part in ids.chunks(2000) {
        let values: Vec<Value> = part.iter().map(|i| (*i).into()).collect();
        let list = (1..=part.len()).map(|i| placeholder(backend, i)).collect::<Vec<_>>().join(", ");
        out.extend(
            crate::contacts::matching::load_light(
                db,
                &format!("SELECT id FROM contacts WHERE id IN ({list})"),
                values,
                None,
            )
            .await?,
        );
    }
    Ok(out)
}

fn row_model(import_id: i64, o: &Outcome, plan: &Plan) -> import_row::ActiveModel {
    let contact_id = o.contact_id.or_else(|| o.slot.and_then(|s| plan.slots[s].contact_id));
    import_row::ActiveModel {
        import_id: Set(import_id),
        line: Set(o.line),
        action: Set(o.action.to_string()),
        contact_id: Set(contact_id),
        match_id: Set(o.match_id),
        name: Set(o.name.chars().take(200).collect()),
        detail: Set(o.detail.chars().take(1000).collect()),
        before: Set(o.before.clone()),
        version_after: Set(o.version_after),
        ..Default::default()
    }
}

async fn write_outcomes<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    outcomes: &[Outcome],
    plan: &Plan,
) -> AppResult<()> {
    for part in outcomes.chunks(200) {
        import_row::Entity::insert_many(part.iter().map(|o| row_model(import_id, o, plan))).exec(db).await?;
    }
    Ok(())
}

/// Ids of the named tags or groups, created when missing, remembered for the rest of the import.
async fn ensure_names<C: ConnectionTrait>(
    db: &C,
    names: &[String],
    cache: &mut HashMap<String, i64>,
    groups: bool,
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for n in names {
        let key = n.to_lowercase();
        let id = match cache.get(&key) {
            Some(id) => *id,
            None => {
                let id = if groups {
                    crate::contacts::groups::ensure(db, std::slice::from_ref(n)).await?[0]
                } else {
                    crate::contacts::tags::ensure(db, std::slice::from_ref(n)).await?[0]
                };
                cache.insert(key, id);
                id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Writes one chunk in one transaction: the new contacts and everything that goes with them, the
/// updates, the rows' outcomes.
#[allow(clippy::too_many_arguments)]
async fn write_chunk(
    svc: &Services,
    actor: &Actor,
    import_id: i64,
    s: &dedup::Settings,
    plan: &mut Plan,
    outcomes: &mut [Outcome],
    updates: Vec<Update>,
) -> AppResult<()> {
    let region = plan.region.clone();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let backend = txn.get_database_backend();
    let now = Utc::now();
    let phase = std::time::Instant::now();
    let slots: Vec<usize> = outcomes.iter().filter_map(|o| o.slot).collect();
    // UIDs must be unique: a fingerprint or a vCard UID already taken (by a contact in the trash)
    // gives way to a fresh one.
    let wanted: Vec<String> = slots.iter().map(|&i| plan.slots[i].uid.clone()).collect();
    let mut taken: HashSet<String> = HashSet::new();
    for part in wanted.chunks(500) {
        let found: Vec<String> = contact::Entity::find()
            .select_only()
            .column(contact::Column::Uid)
            .filter(contact::Column::Uid.is_in(part.to_vec()))
            .into_tuple::<String>()
            .all(&txn)
            .await?;
        taken.extend(found);
    }
    let mut uid_of: Vec<String> = Vec::with_capacity(slots.len());
    for &i in &slots {
        let u = &plan.slots[i].uid;
        if taken.contains(u) || uid_of.contains(u) {
            uid_of.push(uuid::Uuid::new_v4().to_string());
        } else {
            uid_of.push(u.clone());
        }
    }
    // Ids are taken up front (the write lock is held: SQLite's transaction is IMMEDIATE, and
    // PostgreSQL hands out sequence values), so each row is inserted complete, sequence number
    // included, with no read-back by uid and no second UPDATE.
    let new_ids = allocate_ids(&txn, slots.len()).await?;
    let mut words: Vec<(String, String)> = Vec::new();
    let rows: Vec<(usize, &String, i64)> =
        slots.iter().zip(&uid_of).zip(&new_ids).map(|((&i, u), &id)| (i, u, id)).collect();
    for part in rows.chunks(200) {
        contact::Entity::insert_many(part.iter().map(|&(i, uid, id)| {
            let c = &plan.slots[i].clean;
            let text = contacts::search_text(c);
            words.extend(migration::search_words::rows(&text));
            let mut row = contacts::new_row(c, text, uid.clone(), actor.user_id, now);
            row.id = Set(id);
            row.sequence_number = Set(id);
            row
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    for (&i, &id) in slots.iter().zip(&new_ids) {
        plan.slots[i].contact_id = Some(id);
        plan.created.insert(id);
    }
    plan.times.write_contacts += phase.elapsed().as_secs_f64();
    let phase = std::time::Instant::now();
    // Children, keys, audit.
    let mut phones = Vec::new();
    let mut emails = Vec::new();
    let mut tag_links = Vec::new();
    let mut group_links = Vec::new();
    let mut keys = Vec::new();
    let mut audits = Vec::new();
    for &i in &slots {
        let id = plan.slots[i].contact_id.unwrap_or_default();
        let (tags, groups) = (plan.slots[i].clean.tags().to_vec(), plan.slots[i].clean.groups().to_vec());
        let tag_ids = ensure_names(&txn, &tags, &mut plan.tag_ids, false).await?;
        let group_ids = ensure_names(&txn, &groups, &mut plan.group_ids, true).await?;
        let slot = &plan.slots[i];
        let c = &slot.clean;
        for (pos, p) in c.phones.iter().enumerate() {
            phones.push(contact_phone::ActiveModel {
                contact_id: Set(id),
                kind: Set(p.kind.clone()),
                number: Set(p.number.clone()),
                e164: Set(p.e164.clone()),
                position: Set(pos as i32),
                ..Default::default()
            });
        }
        for (pos, (kind, address, key)) in c.emails.iter().enumerate() {
            emails.push(contact_email::ActiveModel {
                contact_id: Set(id),
                kind: Set(kind.clone()),
                address: Set(address.clone()),
                normalized: Set(key.clone()),
                position: Set(pos as i32),
                ..Default::default()
            });
        }
        tag_links.extend(tag_ids.iter().map(|t| contact_tag::ActiveModel { contact_id: Set(id), tag_id: Set(*t) }));
        group_links.extend(
            group_ids.iter().map(|g| contact_group_member::ActiveModel { contact_id: Set(id), group_id: Set(*g) }),
        );
        let norm = crate::contacts::matching::normalize_draft(id, c, s);
        keys.extend(
            dedup::blocking_keys(&norm)
                .into_iter()
                .map(|key| contact_key::ActiveModel { contact_id: Set(id), key: Set(key) }),
        );
        let changes = audit::diff(&contacts::empty_snapshot(), &contacts::snapshot_of_clean(c));
        audits.push(audit_log::ActiveModel {
            user_id: Set(Some(actor.user_id)),
            contact_id: Set(Some(id)),
            entity: Set("contact".into()),
            action: Set("create".into()),
            diff: Set(json!({ "changes": changes, "import": import_id }).to_string()),
            created_at: Set(now),
            ..Default::default()
        });
    }
    insert_all(&txn, phones, 500, |p| contact_phone::Entity::insert_many(p)).await?;
    insert_all(&txn, emails, 500, |p| contact_email::Entity::insert_many(p)).await?;
    insert_all(&txn, tag_links, 1000, |p| contact_tag::Entity::insert_many(p)).await?;
    insert_all(&txn, group_links, 1000, |p| contact_group_member::Entity::insert_many(p)).await?;
    insert_all(&txn, keys, 1000, |p| contact_key::Entity::insert_many(p)).await?;
    insert_all(&txn, audits, 200, |p| audit_log::Entity::insert_many(p)).await?;
    plan.times.write_children += phase.elapsed().as_secs_f64();
    let phase = std::time::Instant::now();
    words.sort();
    words.dedup();
    words.retain(|w| !plan.words_written.contains(w));
    for part in words.chunks(500) {
        txn.execute_raw(migration::search_words::insert_statement(backend, part)).await?;
    }
    plan.times.write_words += phase.elapsed().as_secs_f64();
    // Pending pairs for rows created despite a match.
    for &i in &slots {
        let slot = &plan.slots[i];
        let (Some(id), Some((target, mm))) = (slot.contact_id, &slot.pair) else { continue };
        let other = match target {
            Target::Contact(o) => Some(*o),
            Target::Row(r) => plan.slots[*r].contact_id,
        };
        if let Some(other) = other.filter(|o| *o != id) {
            crate::contacts::matching::insert_pair(&txn, id, other, mm).await?;
        }
    }
    // Photos of the created contacts (each with its history entry; undo trashes the contact, and
    // the photo stays with it).
    for &i in &slots {
        let slot = &plan.slots[i];
        if let (Some(id), Some(p)) = (slot.contact_id, &slot.photo) {
            let origin = crate::contacts::photos::Origin::Import(import_id);
            crate::contacts::photos::put_in(&txn, Some(actor.user_id), id, p.media_type, &p.data, origin, true).await?;
        }
    }
    // Updates: each through the same path as an edit (history, keys), against the contact as it
    // is now inside this transaction.
    for u in updates {
        let o_idx = u.outcome;
        let mut result: AppResult<()> = Ok(());
        if let Some(input) = u.input {
            let c = contacts::clean(input, &region)?;
            let version = c.input.version.unwrap_or_default();
            result = contacts::update_in(&txn, actor, u.contact_id, &c, version, s, Some(json!(import_id)))
                .await
                .map(|(_, after)| outcomes[o_idx].version_after = Some(after.version));
        }
        if let (true, Some(p)) = (result.is_ok(), &u.photo) {
            let origin = crate::contacts::photos::Origin::Import(import_id);
            result = crate::contacts::photos::put_in(
                &txn,
                Some(actor.user_id),
                u.contact_id,
                p.media_type,
                &p.data,
                origin,
                true,
            )
            .await
            .map(|_| ());
        }
        match result {
            Ok(()) => {}
            Err(AppError::Conflict(e)) => {
                outcomes[o_idx].action = "skip";
                outcomes[o_idx].detail = format!("not updated: {e}");
                outcomes[o_idx].before = None;
                plan.counts.updated -= 1;
                plan.counts.skipped += 1;
            }
            Err(e) => return Err(e),
        }
    }
    write_outcomes(&txn, import_id, outcomes, plan).await?;
    let phase = std::time::Instant::now();
    txn.commit().await?;
    plan.times.commit += phase.elapsed().as_secs_f64();
    // Remembered only once committed (a chunk that failed wrote none of them).
    if plan.words_written.len() + words.len() <= WORDS_REMEMBERED {
        plan.words_written.extend(words);
    }
    if !new_ids.is_empty() || plan.counts.updated > 0 {
        svc.contacts_changed();
    }
    metrics::gauge!("contacts_total").increment(new_ids.len() as f64);
    metrics::counter!("contacts_created_total", "source" => "import").increment(new_ids.len() as u64);
    Ok(())
}

/// `n` new contact ids, taken inside the caller's write transaction: on SQLite past both the
/// largest id and `sqlite_sequence` (AUTOINCREMENT never reuses an id), on PostgreSQL from the
/// table's sequence.
async fn allocate_ids<C: ConnectionTrait>(db: &C, n: usize) -> AppResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, $1)",
                [(n as i64).into()],
            ))
            .await?;
        return rows.iter().map(|r| r.try_get_by_index::<i64>(0).map_err(AppError::from)).collect();
    }
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM contacts), 0), \
                    COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contacts'), 0))",
        ))
        .await?;
    let top: i64 = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    Ok((1..=n as i64).map(|i| top + i).collect())
}

async fn insert_all<C, A, F, I>(db: &C, rows: Vec<A>, per: usize, make: F) -> AppResult<()>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait + Clone,
    F: Fn(Vec<A>) -> I,
    I: InsertExec,
{
    for part in rows.chunks(per) {
        make(part.to_vec()).run(db).await?;
    }
    Ok(())
}

/// A multi-row insert that can be executed (lets [`insert_all`] take any entity's `insert_many`).
trait InsertExec {
    fn run<C: ConnectionTrait>(self, db: &C) -> impl std::future::Future<Output = Result<(), sea_orm::DbErr>>;
}

impl<A> InsertExec for sea_orm::InsertMany<A>
where
    A: sea_orm::ActiveModelTrait,
{
    async fn run<C: ConnectionTrait>(self, db: &C) -> Result<(), sea_orm::DbErr> {
        self.exec_without_returning(db).await.map(|_| ())
    }
}

/// Undoes an import (its owner or an administrator, within [`UNDO_DAYS`] days): the contacts it
/// created go to the trash, the contacts it updated are put back as they were unless edited since.
pub async fn undo(svc: &Services, actor: &Actor, id: i64) -> AppResult<ImportUndo> {
    let m = own(svc, actor, id).await?;
    if m.dry_run {
        return Err(AppError::Conflict("a preview wrote nothing; there is nothing to undo".into()));
    }
    if m.undone_at.is_some() {
        return Err(AppError::Conflict("this import was already undone".into()));
    }
    if m.status != "done" {
        return Err(AppError::Conflict(format!("the import is {}; only a finished import can be undone", m.status)));
    }
    if !can_undo(&m) {
        return Err(AppError::Conflict(format!("imports can be undone for {UNDO_DAYS} days after they finish")));
    }
    // The claim: of two parallel undos, one wins.
    let res = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("undoing"))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::Status.eq("done"))
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::Conflict("this import is already being undone".into()));
    }
    match undo_inner(svc, actor, id).await {
        Ok(u) => Ok(u),
        Err(e) => {
            import::Entity::update_many()
                .col_expr(import::Column::Status, Expr::value("done"))
                .filter(import::Column::Id.eq(id))
                .exec(&svc.db)
                .await?;
            Err(e)
        }
    }
}

async fn undo_inner(svc: &Services, actor: &Actor, id: i64) -> AppResult<ImportUndo> {
    let s = crate::contacts::matching::match_settings(svc).await?;
    let region = crate::platform::settings::default_region(svc).await?;
    let mut out = ImportUndo { id, trashed: 0, reverted: 0, kept: Vec::new() };
    // Created contacts → trash, in batches.
    let created: Vec<i64> = import_row::Entity::find()
        .select_only()
        .column(import_row::Column::ContactId)
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Action.eq("create"))
        .filter(import_row::Column::ContactId.is_not_null())
        .into_tuple::<Option<i64>>()
        .all(&svc.db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    for part in created.chunks(500) {
        let now = Utc::now();
        let txn = crate::platform::db::begin_write(&svc.db).await?;
        let live: Vec<i64> = contact::Entity::find()
            .select_only()
            .column(contact::Column::Id)
            .filter(contact::Column::Id.is_in(part.to_vec()))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(contact::Column::MergedIntoId.is_null())
            .into_tuple()
            .all(&txn)
            .await?;
        let kept = part.len() - live.len();
        if kept > 0 {
            out.kept.push(format!("{kept} created contact(s) were already in the trash or merged into another"));
        }
        if !live.is_empty() {
            contact::Entity::update_many()
                .col_expr(contact::Column::DeletedAt, Expr::value(Some(now)))
                .col_expr(contact::Column::Version, Expr::col(contact::Column::Version).add(1))
                .col_expr(contact::Column::UpdatedAt, Expr::value(now))
                .filter(contact::Column::Id.is_in(live.clone()))
                .exec(&txn)
                .await?;
            contact_key::Entity::delete_many()
                .filter(contact_key::Column::ContactId.is_in(live.clone()))
                .exec(&txn)
                .await?;
            let change =
                json!({"changes": [{"field": "deleted", "from": false, "to": true}], "import": id}).to_string();
            let audits: Vec<audit_log::ActiveModel> = live
                .iter()
                .map(|cid| audit_log::ActiveModel {
                    user_id: Set(Some(actor.user_id)),
                    contact_id: Set(Some(*cid)),
                    entity: Set("contact".into()),
                    action: Set("delete".into()),
                    diff: Set(change.clone()),
                    created_at: Set(now),
                    ..Default::default()
                })
                .collect();
            insert_all(&txn, audits, 200, |p| audit_log::Entity::insert_many(p)).await?;
        }
        txn.commit().await?;
        out.trashed += live.len() as u64;
        metrics::gauge!("contacts_total").decrement(live.len() as f64);
    }
    // Updated contacts → as they were, unless edited since.
    let updated = import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Action.eq("update"))
        .order_by_desc(import_row::Column::Id)
        .all(&svc.db)
        .await?;
    for r in updated {
        let (Some(cid), Some(before), Some(version)) = (r.contact_id, r.before.as_deref(), r.version_after) else {
            continue;
        };
        // A photo this import added goes, while it is still that one (not replaced since).
        let txn = crate::platform::db::begin_write(&svc.db).await?;
        let origin = crate::contacts::photos::Origin::Import(id);
        if crate::contacts::photos::remove_in(&txn, Some(actor.user_id), cid, Some(origin)).await? {
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        let Ok(mut input) = serde_json::from_str::<ContactInput>(before) else { continue };
        input.version = Some(version);
        input.source = None;
        let c = match contacts::clean(input, &region) {
            Ok(c) => c,
            Err(e) => {
                out.kept.push(format!("#{cid}: {e}"));
                continue;
            }
        };
        let txn = crate::platform::db::begin_write(&svc.db).await?;
        match contacts::update_in(&txn, actor, cid, &c, version, &s, Some(json!({ "undo": id }))).await {
            Ok(_) => {
                txn.commit().await?;
                out.reverted += 1;
            }
            Err(AppError::Conflict(_)) | Err(AppError::NotFound(_)) => {
                out.kept.push(format!("#{cid} was changed after the import (line {}); left as it is", r.line));
            }
            Err(e) => return Err(e),
        }
    }
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("undone"))
        .col_expr(import::Column::UndoneAt, Expr::value(Some(Utc::now())))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    svc.contacts_changed();
    Ok(out)
}

/// PostgreSQL plans the create path's lookups (duplicate keys, search words) from table
/// statistics, which a bulk import outruns (autovacuum analyses a table once a tenth of it is new,
/// and not at all where autovacuum is off): `ANALYZE` whenever the imported contacts double, from
/// 1,000. Measured with autovacuum off, at 29,000 of 100,000 contacts: 20 contacts/s before, 90/s
/// after. At the end `VACUUM ANALYZE` also marks the new rows all-visible, so the list's
/// index-only walks skip the table: a page at OFFSET 50,000 took 69 ms before, 5 ms after (2.9 s
/// for 100,000 contacts). A failure (say, a role that does not own the tables) is reported and the
/// import goes on. Nothing on SQLite.
async fn postgres_upkeep(svc: &Services, command: &str) {
    if svc.db.get_database_backend() == DatabaseBackend::Postgres {
        if let Err(e) = svc.db.execute_unprepared(command).await {
            tracing::warn!(error = %e, "{command} after imported contacts failed");
        }
    }
}
