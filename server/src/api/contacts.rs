//! `/api/v1/contacts*`: the contact list, CRUD with optimistic versioning, trash, search, history.

use super::{ApiJson, ApiPath, ApiQuery, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use service::dto::{Contact, ContactInput, ContactQuery, HistoryEntry, Page, SearchHit};
use service::{contacts, search};

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts",
    params(("page" = Option<u64>, Query), ("limit" = Option<u64>, Query), ("q" = Option<String>, Query),
           ("tag" = Option<String>, Query), ("group" = Option<String>, Query), ("company" = Option<String>, Query),
           ("sort" = Option<String>, Query, description = "name | company | created_at | updated_at | sequence_number"),
           ("order" = Option<String>, Query, description = "asc | desc"), ("trash" = Option<bool>, Query),
           ("after" = Option<String>, Query, description = "a page's `next` cursor: the page after it, read from the sort index at the cursor's place (fast at any depth); not with `page` or `before`"),
           ("before" = Option<String>, Query, description = "a page's `previous` cursor: the page before it")),
    responses((status = 200, body = Page<Contact>),
              (status = 422, description = "unknown sort or order, a page out of range, or a cursor of another list, sort or order")),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<Json<Page<Contact>>> {
    Ok(Json(contacts::list(&st.svc, &actor, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactInput,
    responses((status = 201, body = Contact),
              (status = 409, description = "a tag or group of the contact was created under the same name at the same time"),
              (status = 422, description = "invalid field")), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    Ok((StatusCode::CREATED, Json(contacts::create(&st.svc, &actor, input).await?)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    responses((status = 200, body = Contact), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::get(&st.svc, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactInput,
    responses((status = 200, body = Contact), (status = 404), (status = 409, description = "stale version"),
              (status = 422, description = "invalid field")), security(("bearer" = [])))]
pub async fn update(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::update(&st.svc, &actor, id, input).await?))
}

#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    responses((status = 200, body = Contact, description = "moved to the trash"), (status = 404)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::delete(&st.svc, &actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/contacts/{id}/restore", tag = "contacts",
    responses((status = 200, body = Contact), (status = 404)), security(("bearer" = [])))]
pub async fn restore(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::restore(&st.svc, &actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/history", tag = "contacts",
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404)), security(("bearer" = [])))]
pub async fn history(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(contacts::history(&st.svc, &actor, id).await?))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/contacts/search", tag = "contacts",
    params(("q" = String, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = Vec<SearchHit>)), security(("bearer" = [])))]
pub async fn search(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    Ok(Json(search::hits(&st.svc, &actor, &q.q, q.limit.unwrap_or(10)).await?))
}
