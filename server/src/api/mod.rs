//! The REST API under `/api/v1`: a thin door onto `service`. Errors are JSON `{"detail": …}`.

pub mod admin;
pub mod app_passwords;
pub mod auth;
pub mod contacts;
pub mod docs;
pub mod duplicates;
pub mod imports;
pub mod labels;
pub mod photos;
pub mod scans;

use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use service::{Actor, AppError, Session};

/// An error answered as `{"detail": "…"}` with the status the service error maps to.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub fn detail(status: StatusCode, detail: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "detail": detail.into() }))).into_response()
}

/// A multipart body, or the JSON 400 for a missing or malformed multipart Content-Type (axum's own
/// rejection is text/plain, which the document does not list).
pub fn multipart_body(
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<axum::extract::Multipart, Response> {
    form.map_err(|e| detail(StatusCode::BAD_REQUEST, format!("expected a multipart/form-data body: {}", e.body_text())))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match &self.0 {
            AppError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        let mut resp = detail(status, message);
        if let AppError::RateLimited { retry_after } = self.0 {
            if let Ok(v) = retry_after.to_string().parse() {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// JSON body whose rejections are JSON too: 400 for malformed JSON, 422 for a wrong shape
/// (the message names the field), 413 for an oversized body, 415 for a wrong content type.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> Response {
    match r {
        JsonRejection::JsonDataError(e) => detail(StatusCode::UNPROCESSABLE_ENTITY, e.body_text()),
        JsonRejection::JsonSyntaxError(e) => detail(StatusCode::BAD_REQUEST, e.body_text()),
        JsonRejection::MissingJsonContentType(_) => {
            detail(StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected a request with Content-Type: application/json")
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            detail(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large")
        }
        other => detail(other.status(), other.body_text()),
    }
}

/// Query string whose rejections are JSON 422s.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(detail(StatusCode::UNPROCESSABLE_ENTITY, e.body_text()))
            }
            Err(e) => Err(detail(e.status(), e.body_text())),
        }
    }
}

/// The signed-in caller (Bearer token or session cookie); 401/403 otherwise.
pub struct Authed(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned().unwrap_or_default();
        Ok(Authed(session.require()?))
    }
}

pub use app::session::client_ip;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/auth/users", get(auth::users))
        .route("/auth/app-passwords", get(app_passwords::list).post(app_passwords::create))
        .route("/auth/app-passwords/{id}", axum::routing::delete(app_passwords::revoke))
        .route("/auth/carddav", get(app_passwords::setup))
        .route("/auth/carddav/groups", axum::routing::put(app_passwords::set_groups))
        .route("/auth/users/{id}", axum::routing::patch(auth::patch_user))
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/search", get(contacts::search))
        .route("/contacts/check-duplicates", post(duplicates::check))
        .route("/contacts/{id}", get(contacts::get).put(contacts::update).delete(contacts::delete))
        .route("/contacts/{id}/restore", post(contacts::restore))
        .route("/contacts/{id}/history", get(contacts::history))
        .route(
            "/contacts/{id}/photo",
            get(photos::get)
                .put(photos::put)
                .delete(photos::delete)
                .layer(axum::extract::DefaultBodyLimit::max(service::contacts::photos::MAX_PHOTO_BYTES)),
        )
        .route("/duplicates", get(duplicates::list))
        .route("/duplicates/{id}/status", put(duplicates::set_status))
        .route("/duplicates/scan", get(duplicates::latest_scan).post(duplicates::start_scan))
        .route("/duplicates/scan/{id}", get(duplicates::get_scan))
        .route("/duplicates/settings", get(duplicates::get_settings).put(duplicates::put_settings))
        .route("/contacts/merge", post(duplicates::merge))
        .route("/contacts/{id}/merges", get(duplicates::contact_merges))
        .route("/merges/{id}/undo", post(duplicates::undo_merge))
        .route("/tags", get(labels::list_tags).post(labels::create_tag))
        .route("/tags/{id}", put(labels::update_tag).delete(labels::delete_tag))
        .route("/groups", get(labels::list_groups).post(labels::create_group))
        .route("/groups/{id}", put(labels::update_group).delete(labels::delete_group))
        .route(
            "/scans",
            post(scans::create)
                .layer(axum::extract::DefaultBodyLimit::max(service::scans::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route(
            "/scans/device",
            post(scans::save_device).layer(axum::extract::DefaultBodyLimit::max(scans::MAX_DEVICE_SAVE_BYTES)),
        )
        .route("/scans/{id}", get(scans::get))
        .route("/scans/{id}/image", get(scans::image))
        .route("/scans/{id}/rerun", post(scans::rerun))
        .route("/scans/{id}/events", get(scans::events))
        .route("/scans/{id}/draft", get(scans::draft))
        .route("/scans/{id}/save", post(scans::save))
        .route("/contacts/{id}/cards", get(scans::contact_cards))
        .route(
            "/imports",
            get(imports::list)
                .post(imports::create)
                .layer(axum::extract::DefaultBodyLimit::max(service::transfer::imports::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/imports/{id}", get(imports::get))
        .route("/imports/{id}/apply", post(imports::apply))
        .route("/imports/{id}/undo", post(imports::undo))
        .route("/imports/{id}/events", get(imports::events))
        .route("/export", get(imports::export))
        .route("/admin/status", get(admin::status))
        .route("/admin/settings", get(admin::get_settings).put(admin::put_settings))
        .route("/admin/audit", get(admin::audit_log))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/openapi.json", get(docs::openapi_json))
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "no such API endpoint") })
}

/// Path parameters whose rejections are JSON (e.g. `/contacts/abc` → 400 naming the problem).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(ApiPath(p.0)),
            // A number that does not fit the id type (`/contacts/9223372036854775808`): out of range, 422.
            Err(PathRejection::FailedToDeserializePathParams(e)) if out_of_range(e.kind()).is_some() => {
                let key = out_of_range(e.kind()).unwrap_or_default();
                Err(detail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{key}: must be an integer from 1 to {}", i64::MAX),
                ))
            }
            Err(e) => Err(detail(StatusCode::BAD_REQUEST, format!("invalid path parameter: {}", e.body_text()))),
        }
    }
}

/// The name of a path parameter that is an integer too large (or too small) for its type.
fn out_of_range(kind: &axum::extract::path::ErrorKind) -> Option<String> {
    use axum::extract::path::ErrorKind;
    let numeric = |v: &str| !v.is_empty() && v.strip_prefix('-').unwrap_or(v).bytes().all(|b| b.is_ascii_digit());
    match kind {
        ErrorKind::ParseErrorAtKey { key, value, .. } if numeric(value) => Some(key.clone()),
        // Routes with one parameter report no key: it is the `{id}`.
        ErrorKind::ParseError { value, .. } if numeric(value) => Some("id".to_string()),
        _ => None,
    }
}
