//! `/api/v1/contacts/{id}/photo`: a contact's photo. `GET` answers the image itself (with its
//! sniffed type, a strong ETag and `If-None-Match` → 304), so the UI can show it with
//! `<img src>` and the session cookie; `PUT` takes the image as the raw body with
//! `Content-Type: image/jpeg|png|gif|webp` (at most 5 MiB; the type is sniffed from the bytes
//! anyway); `DELETE` removes it. Writes with the session cookie pass the same Origin check as
//! every other cookie write (`web::same_site_writes`).

use super::{detail, ApiPath, ApiResult, Authed};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use service::contacts::photos;

#[utoipa::path(get, path = "/api/v1/contacts/{id}/photo", tag = "contacts",
    responses((status = 200, description = "the photo's bytes, with its type (JPEG, PNG, GIF or WebP) as Content-Type and a strong ETag"),
              (status = 304, description = "the photo is the one named in If-None-Match"),
              (status = 404, description = "no such contact, or it has no photo")),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let p = photos::get(&st.svc, &actor, id).await?;
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').map(str::trim).any(|t| t == p.etag || t == "*" || t.strip_prefix("W/") == Some(p.etag.as_str()))
    });
    let common = [
        (header::ETAG, p.etag.clone()),
        (header::CACHE_CONTROL, "private, no-cache".to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
    ];
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [
            (header::CONTENT_TYPE, p.media_type),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".to_string()),
        ],
        p.data,
    )
        .into_response())
}

#[utoipa::path(put, path = "/api/v1/contacts/{id}/photo", tag = "contacts",
    request_body(content = Vec<u8>, content_type = "image/jpeg",
                 description = "the image itself as the body (JPEG, PNG, GIF or WebP, at most 5 MiB), with its Content-Type"),
    responses((status = 204, description = "stored (replacing any photo the contact had)"),
              (status = 409, description = "the contact is in the trash or was merged into another"),
              (status = 413, description = "larger than 5 MiB"),
              (status = 415, description = "the Content-Type is not image/jpeg, image/png, image/gif or image/webp"),
              (status = 422, description = "empty, not a JPEG, PNG, GIF or WebP image (SVG is refused), or it cannot be decoded")),
    security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !photos::MEDIA_TYPES.contains(&declared.as_str()) {
        return detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the image as the body with Content-Type image/jpeg, image/png, image/gif or image/webp",
        );
    }
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("photo: larger than the {}-byte limit", photos::MAX_PHOTO_BYTES),
            )
        }
        Err(e) => return detail(StatusCode::BAD_REQUEST, format!("could not read the body: {}", e.body_text())),
    };
    match photos::set(&st.svc, &actor, id, body.to_vec()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => super::ApiError(e).into_response(),
    }
}

#[utoipa::path(delete, path = "/api/v1/contacts/{id}/photo", tag = "contacts",
    responses((status = 204, description = "removed (also when the contact had none)"),
              (status = 409, description = "the contact is in the trash or was merged into another")),
    security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    photos::remove(&st.svc, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
