//! `/api/v1/auth/app-passwords`: the signed-in user's CardDAV app passwords (see
//! `service::accounts::app_passwords`). The password is in the answer to `POST` only.
//! `/api/v1/auth/carddav`: what to type into a phone and the address books it finds;
//! `/api/v1/auth/carddav/groups`: which groups the user has there as books of their own.

use super::{ApiJson, ApiPath, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use service::accounts::app_passwords;
use service::dav_dto::{AppPassword, AppPasswordInput, DavGroupsInput, DavSetup, NewAppPassword};

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

#[utoipa::path(get, path = "/api/v1/auth/carddav", tag = "auth",
    responses((status = 200, body = DavSetup, description = "the server address, the username and every address book the phone finds")),
    security(("bearer" = [])))]
pub async fn setup(State(st): State<AppState>, Authed(actor): Authed, headers: HeaderMap) -> ApiResult<Json<DavSetup>> {
    Ok(Json(
        service::transfer::carddav::setup(&st.svc, &actor, app::session::request_origin(&headers).as_deref()).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/auth/carddav/groups", tag = "auth", request_body = DavGroupsInput,
    responses((status = 200, body = DavSetup, description = "the choice is kept; the phone finds the books on its next sync"),
              (status = 422, description = "an id that is not a group, or more than 100")),
    security(("bearer" = [])))]
pub async fn set_groups(
    State(st): State<AppState>,
    Authed(actor): Authed,
    headers: HeaderMap,
    ApiJson(input): ApiJson<DavGroupsInput>,
) -> ApiResult<Json<DavSetup>> {
    service::transfer::dav_books::set_shared(&st.svc, &actor, &input.group_ids).await?;
    Ok(Json(
        service::transfer::carddav::setup(&st.svc, &actor, app::session::request_origin(&headers).as_deref()).await?,
    ))
}
