//! `/api/v1/auth/app-passwords`: the signed-in user's CardDAV app passwords (see
//! `service::app_passwords`). The password is in the answer to `POST` only.

use super::{ApiJson, ApiPath, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::app_passwords;
use service::dav_dto::{AppPassword, AppPasswordInput, NewAppPassword};

#[utoipa::path(post, path = "/api/v1/auth/app-passwords", tag = "auth", request_body = AppPasswordInput,
    responses((status = 201, body = NewAppPassword, description = "the password is shown this once"),
              (status = 422, description = "name empty or too long, or 50 app passwords held already")),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<AppPasswordInput>,
) -> ApiResult<(StatusCode, Json<NewAppPassword>)> {
    Ok((StatusCode::CREATED, Json(app_passwords::create(&st.svc, &actor, &input.name).await?)))
}

#[utoipa::path(get, path = "/api/v1/auth/app-passwords", tag = "auth",
    responses((status = 200, body = Vec<AppPassword>, description = "the user's app passwords in use, newest first; never the passwords")),
    security(("bearer" = [])))]
pub async fn list(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<Vec<AppPassword>>> {
    Ok(Json(app_passwords::list(&st.svc, &actor).await?))
}

#[utoipa::path(delete, path = "/api/v1/auth/app-passwords/{id}", tag = "auth",
    responses((status = 204, description = "revoked: it stops working at once"), (status = 404)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    app_passwords::revoke(&st.svc, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
