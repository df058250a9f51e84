//! `/api/v1/imports*` and `/api/v1/export`: contact files in (a background job with a preview,
//! progress events and undo) and out (streamed). The work is `service::transfer::imports` and
//! `service::transfer::export`.

use super::{detail, ApiPath, ApiQuery, ApiResult, Authed};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use service::dto::Page;
use service::import_dto::{ExportQuery, ImportApply, ImportJob, ImportOptions, ImportSummary, ImportUndo};
use service::{transfer::export, transfer::imports};

/// Multipart upload: one part `file` (the contact file, ≤ 256 MiB) and optionally one part
/// `mapping` (a JSON array of field ids, one per CSV/XLSX column).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    mapping: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    params(("dry_run" = Option<bool>, Query, description = "preview only: nothing is written"),
           ("on_duplicate" = Option<String>, Query, description = "skip (default) | merge | create"),
           ("tag" = Option<String>, Query, description = "a tag for every contact the import creates or updates"),
           ("format" = Option<String>, Query, description = "vcf | csv | xlsx | jsonl (detected when absent)"),
           ("all_or_nothing" = Option<bool>, Query, description = "import nothing if a row is invalid")),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportJob, description = "queued; follow it with GET /api/v1/imports/{id} or its events"),
              (status = 400, description = "no `file` part, or an unexpected part"),
              (status = 413, description = "larger than 256 MiB"),
              (status = 422, description = "not a contact file (the detail says what it is), an unknown encoding, a zip bomb, or a bad option"),
              (status = 429, description = "two imports of yours are still running")),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(opts): ApiQuery<ImportOptions>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut form = match super::multipart_body(form) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let mut upload: Option<(Vec<u8>, Option<String>)> = None;
    let mut mapping: Option<Vec<String>> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return multipart_error(e),
        };
        match field.name() {
            Some("file") if upload.is_none() => {
                let name = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(b) => upload = Some((b.to_vec(), name)),
                    Err(e) => return multipart_error(e),
                }
            }
            Some("mapping") if mapping.is_none() => {
                let text = match field.text().await {
                    Ok(t) => t,
                    Err(e) => return multipart_error(e),
                };
                match serde_json::from_str::<Vec<String>>(&text) {
                    Ok(m) => mapping = Some(m),
                    Err(e) => {
                        return detail(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            format!("mapping: must be a JSON array of field ids ({e})"),
                        )
                    }
                }
            }
            Some("file") | Some("mapping") => {
                return detail(StatusCode::BAD_REQUEST, "send one part named `file` (and at most one `mapping`)")
            }
            other => {
                let part = other.unwrap_or("").chars().take(64).collect::<String>();
                return detail(
                    StatusCode::BAD_REQUEST,
                    format!("unexpected part '{part}': send one part named `file` (and optionally `mapping`)"),
                );
            }
        }
    }
    let Some((bytes, name)) = upload else {
        return detail(StatusCode::BAD_REQUEST, "expected a multipart/form-data body with a `file` part");
    };
    match imports::submit(&st.svc, &actor, bytes, name.as_deref(), opts, mapping).await {
        Ok(job) => (StatusCode::ACCEPTED, Json(job)).into_response(),
        Err(e) => super::ApiError(e).into_response(),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Response {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return detail(status, format!("file too large (limit {} MiB)", imports::MAX_FILE_BYTES >> 20));
    }
    detail(status, format!("invalid multipart body: {}", e.body_text()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    page: Option<u64>,
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/imports", tag = "imports",
    params(("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = Page<ImportSummary>, description = "your imports (an administrator's: everyone's), newest first")),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ImportSummary>>> {
    Ok(Json(imports::list(&st.svc, &actor, q.page, q.limit).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    page: Option<u64>,
    limit: Option<u64>,
    action: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("page" = Option<u64>, Query), ("limit" = Option<u64>, Query),
           ("action" = Option<String>, Query, description = "only rows with this action: create | update | skip | invalid")),
    responses((status = 200, body = ImportJob), (status = 404)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RowsQuery>,
) -> ApiResult<Json<ImportJob>> {
    let job = imports::get(
        &st.svc,
        &actor,
        id,
        q.page.unwrap_or(1),
        q.limit.unwrap_or(imports::DEFAULT_ROW_LIMIT),
        // The documented names only: `action=` is a 422, not "every row" (Schemathesis).
        q.action.as_deref(),
    )
    .await?;
    Ok(Json(job))
}

#[utoipa::path(post, path = "/api/v1/imports/{id}/apply", tag = "imports",
    request_body = ImportApply,
    responses((status = 202, body = ImportJob, description = "the preview is being applied with these choices"),
              (status = 404), (status = 409, description = "not a finished preview, already applied, or its file is no longer kept")),
    security(("bearer" = [])))]
pub async fn apply(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    super::ApiJson(input): super::ApiJson<ImportApply>,
) -> ApiResult<(StatusCode, Json<ImportJob>)> {
    Ok((StatusCode::ACCEPTED, Json(imports::apply(&st.svc, &actor, id, input).await?)))
}

#[utoipa::path(post, path = "/api/v1/imports/{id}/undo", tag = "imports",
    responses((status = 200, body = ImportUndo, description = "created contacts are in the trash; updated ones are as they were (unless edited since)"),
              (status = 404), (status = 409, description = "a preview, not finished, already undone, or older than 30 days")),
    security(("bearer" = [])))]
pub async fn undo(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ImportUndo>> {
    Ok(Json(imports::undo(&st.svc, &actor, id).await?))
}

const EVENTS_POLL: std::time::Duration = std::time::Duration::from_millis(500);

#[utoipa::path(get, path = "/api/v1/imports/{id}/events", tag = "imports",
    responses((status = 200, content_type = "text/event-stream",
               description = "`progress` events `{id, status, done, total, created, updated, skipped, invalid}` while it runs, then one `done` or `failed` event with the import (first page of rows); the stream ends there"),
              (status = 404)),
    security(("bearer" = [])))]
pub async fn events(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>> {
    let first = imports::get(&st.svc, &actor, id, 1, 1, None).await?;
    let svc = st.svc.clone();
    let stream =
        futures_util::stream::unfold((Some(first), (String::new(), -1i64), false), move |(pending, last, ended)| {
            let svc = svc.clone();
            let actor = actor.clone();
            async move {
                if ended {
                    return None;
                }
                let mut job = pending;
                loop {
                    let current = match job.take() {
                        Some(j) => j,
                        None => {
                            tokio::time::sleep(EVENTS_POLL).await;
                            match imports::get(&svc, &actor, id, 1, 1, None).await {
                                Ok(j) => j,
                                Err(e) => {
                                    let ev = Event::default().event("error").data(e.to_string());
                                    return Some((Ok(ev), (None, last, true)));
                                }
                            }
                        }
                    };
                    if matches!(current.status.as_str(), "done" | "failed" | "undone") {
                        let full = imports::get(&svc, &actor, id, 1, imports::DEFAULT_ROW_LIMIT, None)
                            .await
                            .unwrap_or(current);
                        let ev = Event::default()
                            .event(if full.status == "failed" { "failed" } else { "done" })
                            .json_data(&full)
                            .unwrap_or_else(|_| Event::default().event("done"));
                        return Some((Ok(ev), (None, last, true)));
                    }
                    let key = (current.status.clone(), current.done);
                    if key != last {
                        let ev = Event::default().event("progress").data(
                            serde_json::json!({"id": current.id, "status": current.status, "done": current.done,
                            "total": current.total, "created": current.created, "updated": current.updated,
                            "skipped": current.skipped, "invalid": current.invalid})
                            .to_string(),
                        );
                        return Some((Ok(ev), (None, key, false)));
                    }
                }
            }
        });
    Ok(Sse::new(futures_util::StreamExt::fuse(stream)).keep_alive(KeepAlive::default()))
}

#[utoipa::path(get, path = "/api/v1/export", tag = "imports",
    params(("format" = Option<String>, Query, description = "vcf (default) | csv | xlsx | jsonl"),
           ("version" = Option<String>, Query, description = "vCard version: 4.0 (default) or 3.0"),
           ("q" = Option<String>, Query), ("tag" = Option<String>, Query), ("group" = Option<String>, Query),
           ("company" = Option<String>, Query),
           ("ids" = Option<String>, Query, description = "selected contact ids, comma-separated (at most 10,000)")),
    responses((status = 200, description = "a download of the contacts (streamed)", content_type = "text/vcard"),
              (status = 422, description = "an unknown format or version, or a bad id")),
    security(("bearer" = [])))]
pub async fn export(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let plan = export::plan(q)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let svc = st.svc.clone();
    let p = plan.clone();
    tokio::spawn(async move {
        if let Err(e) = export::stream(&svc, &actor, &p, tx).await {
            tracing::error!(error = %e, "export failed");
        }
    });
    // Fused: a body wrapper (the gzip layer) may poll once more after the end, which a bare
    // `unfold` answers with a panic (a dropped connection, found by Schemathesis).
    let body =
        Body::from_stream(futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), rx))
        })));
    Ok((
        [
            (header::CONTENT_TYPE, plan.content_type().to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", plan.file_name())),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
