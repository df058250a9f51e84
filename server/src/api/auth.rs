//! `/api/v1/auth/*`: registration, login (JSON or OAuth2 password form), token refresh and
//! logout, the current user, and user administration.

use super::{detail, ApiError, ApiJson, ApiPath, ApiResult, Authed};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use service::dto::{LoginInput, RegisterInput, TokenPair, User, UserPatch};
use service::{accounts::auth, AppError};

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterInput,
    responses((status = 201, body = User), (status = 409, description = "taken"), (status = 422, description = "invalid field")))]
pub async fn register(
    State(st): State<AppState>,
    ApiJson(input): ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    // Requests are limited per IP by the rate-limit middleware (endpoint class "register").
    let user = auth::register(&st.svc, &input).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize)]
struct PasswordForm {
    username: String,
    password: String,
    grant_type: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenPair), (status = 401), (status = 403, description = "inactive"), (status = 429)))]
pub async fn login(
    State(st): State<AppState>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let input = if form {
        match serde_urlencoded::from_bytes::<PasswordForm>(&body) {
            Ok(f) if f.grant_type.as_deref().is_none_or(|g| g == "password") => {
                LoginInput { username: f.username, password: f.password }
            }
            Ok(_) => return detail(StatusCode::BAD_REQUEST, "grant_type must be 'password'"),
            Err(e) => return detail(StatusCode::UNPROCESSABLE_ENTITY, format!("invalid form: {e}")),
        }
    } else {
        match serde_json::from_slice::<LoginInput>(&body) {
            Ok(i) => i,
            Err(e) if e.is_data() || e.is_eof() && !body.is_empty() => {
                return detail(StatusCode::UNPROCESSABLE_ENTITY, format!("invalid login: {e}"))
            }
            Err(e) => return detail(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")),
        }
    };
    match auth::login(&st.svc, &input, &super::client_ip(&ext)).await {
        Ok(tokens) => Json(tokens).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshInput {
    pub refresh_token: String,
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshInput,
    responses((status = 200, body = TokenPair), (status = 401)))]
pub async fn refresh(State(st): State<AppState>, ApiJson(input): ApiJson<RefreshInput>) -> ApiResult<Json<TokenPair>> {
    Ok(Json(auth::refresh(&st.svc, &input.refresh_token).await?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshInput,
    responses((status = 204, description = "refresh token family revoked")))]
pub async fn logout(State(st): State<AppState>, ApiJson(input): ApiJson<RefreshInput>) -> ApiResult<StatusCode> {
    auth::logout(&st.svc, &input.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = User), (status = 401)),
    security(("bearer" = [])))]
pub async fn me(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<User>> {
    Ok(Json(auth::me(&st.svc, &actor).await?))
}

#[utoipa::path(get, path = "/api/v1/auth/users", tag = "auth", responses((status = 200, body = Vec<User>), (status = 403)),
    security(("bearer" = [])))]
pub async fn users(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(auth::list_users(&st.svc, &actor).await?))
}

#[utoipa::path(patch, path = "/api/v1/auth/users/{id}", tag = "auth", request_body = UserPatch,
    responses((status = 200, body = User), (status = 403, description = "administrators only, or deactivating or demoting yourself"),
              (status = 404), (status = 422, description = "neither is_active nor is_admin sent")),
    security(("bearer" = [])))]
pub async fn patch_user(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<User>> {
    if patch.is_active.is_none() && patch.is_admin.is_none() {
        return Err(AppError::validation("is_active", "send is_active and/or is_admin").into());
    }
    Ok(Json(auth::patch_user(&st.svc, &actor, id, &patch).await?))
}
