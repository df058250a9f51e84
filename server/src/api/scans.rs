//! `/api/v1/scans*`: upload a card image (multipart), follow the OCR job, fetch the image, re-run
//! with another engine, follow progress as server-sent events. The work is done by
//! `service::scans` and its worker.

use super::{detail, ApiPath, ApiQuery, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use service::scans::{self, CardsInPhoto, Scan, ScanTicket};

/// Multipart upload with one part named `file` (an image, ≤ 10 MB).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ScanUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /api/v1/scans?cards=…`
#[derive(Deserialize)]
pub struct UploadQuery {
    cards: Option<CardsInPhoto>,
}

#[utoipa::path(post, path = "/api/v1/scans", tag = "scans",
    params(("cards" = inline(Option<CardsInPhoto>), Query, description = "`one` (default): the photo is one card. \
`auto`: look for several cards laid out in the photo (at most 8); when there are two or more, each becomes a scan \
of its own (the answer's `cards`, in reading order)")),
    request_body(content = ScanUpload, content_type = "multipart/form-data"),
    responses((status = 202, body = ScanTicket, description = "queued (or done at once when the same image was read before)"),
              (status = 400, description = "no `file` part"), (status = 401),
              (status = 413, description = "larger than 10 MB"),
              (status = 429, description = "the person's reading queue has no room (for every card of the photo)"),
              (status = 422, description = "not an image, empty, truncated or too many pixels; or a `cards` mode that does not exist")),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<UploadQuery>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut form = match super::multipart_body(form) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let mut upload: Option<(Vec<u8>, Option<String>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return multipart_error(e),
        };
        // Exactly one part, named `file`, as the document says: anything else is refused, not ignored.
        if field.name() != Some("file") {
            let part = field.name().unwrap_or("").chars().take(64).collect::<String>();
            return detail(StatusCode::BAD_REQUEST, format!("unexpected part '{part}': send one part named `file`"));
        }
        if upload.is_some() {
            return detail(StatusCode::BAD_REQUEST, "send one part named `file`, not several");
        }
        let name = field.file_name().map(str::to_string);
        match field.bytes().await {
            Ok(b) => upload = Some((b.to_vec(), name)),
            Err(e) => return multipart_error(e),
        }
    }
    let Some((bytes, name)) = upload else {
        return detail(StatusCode::BAD_REQUEST, "expected a multipart/form-data body with a `file` part");
    };
    match scans::submit_photo(&st.svc, &actor, bytes, name.as_deref(), q.cards.unwrap_or_default()).await {
        Ok(ticket) => (StatusCode::ACCEPTED, Json(ticket)).into_response(),
        Err(e) => super::ApiError(e).into_response(),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Response {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return detail(status, format!("file too large (limit {} bytes)", scans::MAX_UPLOAD_BYTES));
    }
    detail(status, format!("invalid multipart body: {}", e.body_text()))
}

#[utoipa::path(get, path = "/api/v1/scans/{id}", tag = "scans",
    responses((status = 200, body = Scan), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Scan>> {
    Ok(Json(scans::get(&st.svc, &actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/scans/{id}/image", tag = "scans",
    responses((status = 200, description = "the uploaded image, with its sniffed content type"), (status = 404)),
    security(("bearer" = [])))]
pub async fn image(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (content_type, bytes) = scans::image(&st.svc, &actor, id).await?;
    Ok(([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, max-age=86400".to_string())], bytes)
        .into_response())
}

#[derive(Deserialize)]
pub struct RerunQuery {
    engine: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/scans/{id}/rerun", tag = "scans",
    params(("engine" = Option<String>, Query, description = "paddle | tesseract (when built with the `tesseract` feature) | google (when Google Cloud Vision is configured; it falls back to the local engines when it fails)")),
    responses((status = 202, body = ScanTicket), (status = 404), (status = 409, description = "still being read"),
              (status = 422, description = "unknown or disabled engine, or google without Google Vision configured")),
    security(("bearer" = [])))]
pub async fn rerun(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RerunQuery>,
) -> ApiResult<(StatusCode, Json<ScanTicket>)> {
    Ok((StatusCode::ACCEPTED, Json(scans::rerun(&st.svc, &actor, id, q.engine.as_deref()).await?)))
}

/// How often the event stream looks at the scan (the row is the truth, so any instance can answer).
const EVENTS_POLL: std::time::Duration = std::time::Duration::from_millis(400);

#[utoipa::path(get, path = "/api/v1/scans/{id}/events", tag = "scans",
    responses((status = 200, content_type = "text/event-stream",
               description = "`status` events `{id, status}` on each change, then one `done` or `failed` event with the whole scan; the stream ends there"),
              (status = 404)),
    security(("bearer" = [])))]
pub async fn events(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>> {
    // 404 before the stream starts for a scan the caller may not see.
    let first = scans::get(&st.svc, &actor, id).await?;
    let svc = st.svc.clone();
    let stream = futures_util::stream::unfold((Some(first), String::new(), false), move |(pending, last, ended)| {
        let svc = svc.clone();
        let actor = actor.clone();
        async move {
            if ended {
                return None;
            }
            let mut scan = pending;
            loop {
                let current = match scan.take() {
                    Some(s) => s,
                    None => {
                        tokio::time::sleep(EVENTS_POLL).await;
                        match scans::get(&svc, &actor, id).await {
                            Ok(s) => s,
                            Err(e) => {
                                let ev = Event::default().event("error").data(e.to_string());
                                return Some((Ok(ev), (None, last, true)));
                            }
                        }
                    }
                };
                if current.status == scans::DONE || current.status == scans::FAILED {
                    let ev = Event::default()
                        .event(current.status.as_str())
                        .json_data(&current)
                        .unwrap_or_else(|_| Event::default().event(current.status.as_str()));
                    return Some((Ok(ev), (None, current.status.clone(), true)));
                }
                if current.status != last {
                    let ev = Event::default()
                        .event("status")
                        .data(serde_json::json!({"id": current.id, "status": current.status}).to_string());
                    return Some((Ok(ev), (None, current.status.clone(), false)));
                }
            }
        }
    });
    Ok(Sse::new(futures_util::StreamExt::fuse(stream)).keep_alive(KeepAlive::default()))
}

#[utoipa::path(get, path = "/api/v1/scans/{id}/draft", tag = "scans",
    responses((status = 200, body = service::dto::ScanDraft, description = "lines with boxes, the image size and the fields with their source blocks, typed"),
              (status = 404)),
    security(("bearer" = [])))]
pub async fn draft(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<service::dto::ScanDraft>> {
    Ok(Json(scans::draft(&st.svc, &actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/scans/{id}/save", tag = "scans",
    request_body = service::dto::SaveScanInput,
    responses((status = 201, body = service::dto::SavedScan, description = "the contact (source ocr) with this scan (and the back) as its card images; per field what was read versus saved"),
              (status = 404), (status = 409, description = "still being read, or already saved"),
              (status = 422, description = "an invalid contact field or back scan")),
    security(("bearer" = [])))]
pub async fn save(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    super::ApiJson(input): super::ApiJson<service::dto::SaveScanInput>,
) -> ApiResult<(StatusCode, Json<service::dto::SavedScan>)> {
    Ok((StatusCode::CREATED, Json(scans::save(&st.svc, &actor, id, input).await?)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/cards", tag = "scans",
    responses((status = 200, body = Vec<service::dto::CardImage>, description = "the card images (scans) saved with the contact, front first"),
              (status = 404)),
    security(("bearer" = [])))]
pub async fn contact_cards(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<service::dto::CardImage>>> {
    Ok(Json(scans::for_contact(&st.svc, &actor, id).await?))
}

/// Multipart save of a card read on the device: `save` (JSON, [`scans::device::DeviceSave`]) and,
/// when the person keeps them, `front_photo` and `back_photo` (images, ≤ 10 MB each).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DeviceSaveUpload {
    /// The JSON text of a `DeviceSave`: `{"contact": ContactInput, "front": CardReading, "back": CardReading?}`.
    save: String,
    #[schema(value_type = Option<String>, format = Binary)]
    front_photo: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary)]
    back_photo: Option<Vec<u8>>,
}

/// The largest `save` part (a reading of 1,000 lines with their boxes fits well within it).
const MAX_SAVE_PART: usize = 2 * 1024 * 1024;
/// The whole device save: two photos and the `save` part, with room for the multipart framing.
pub const MAX_DEVICE_SAVE_BYTES: usize = 2 * scans::MAX_UPLOAD_BYTES + MAX_SAVE_PART + 64 * 1024;

#[utoipa::path(post, path = "/api/v1/scans/device", tag = "scans",
    request_body(content = DeviceSaveUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = service::dto::SavedScan, description = "the contact (source `device`), with the kept photos as its card images; per field what was read versus saved"),
              (status = 400, description = "not multipart, no `save` part, an unknown or repeated part"),
              (status = 401), (status = 413, description = "a photo larger than 10 MB"),
              (status = 422, description = "`save` is not the documented JSON, an invalid contact field, a photo that is not an image, or a reading that is not of its photo")),
    security(("bearer" = [])))]
pub async fn save_device(
    State(st): State<AppState>,
    Authed(actor): Authed,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut form = match super::multipart_body(form) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let mut save: Option<Vec<u8>> = None;
    let mut photos: [Option<scans::device::DevicePhoto>; 2] = [None, None];
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return multipart_error(e),
        };
        let name = field.name().unwrap_or("").chars().take(64).collect::<String>();
        let slot = match name.as_str() {
            "save" => None,
            "front_photo" => Some(0),
            "back_photo" => Some(1),
            _ => {
                return detail(
                    StatusCode::BAD_REQUEST,
                    format!("unexpected part '{name}': send `save`, and optionally `front_photo` and `back_photo`"),
                )
            }
        };
        let repeated = match slot {
            None => save.is_some(),
            Some(i) => photos[i].is_some(),
        };
        if repeated {
            return detail(StatusCode::BAD_REQUEST, format!("the part `{name}` is sent twice"));
        }
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return multipart_error(e),
        };
        match slot {
            None if bytes.len() > MAX_SAVE_PART => {
                return detail(StatusCode::PAYLOAD_TOO_LARGE, format!("`save` is larger than {MAX_SAVE_PART} bytes"))
            }
            None => save = Some(bytes),
            Some(i) => photos[i] = Some(scans::device::DevicePhoto { bytes, declared_name: file_name }),
        }
    }
    let Some(save) = save else {
        return detail(StatusCode::BAD_REQUEST, "expected a multipart/form-data body with a `save` part (JSON)");
    };
    let input: scans::device::DeviceSave = match serde_json::from_slice(&save) {
        Ok(v) => v,
        Err(e) => {
            return super::ApiError(service::AppError::validation("save", format!("not the documented JSON: {e}")))
                .into_response()
        }
    };
    let [front, back] = photos;
    match scans::device::save_device(&st.svc, &actor, input, front, back).await {
        Ok(saved) => (StatusCode::CREATED, Json(saved)).into_response(),
        Err(e) => super::ApiError(e).into_response(),
    }
}
