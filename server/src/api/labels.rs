//! `/api/v1/tags` and `/api/v1/groups`: CRUD for the labels contacts carry.

use super::{ApiJson, ApiPath, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::contacts::labels::{self, Groups, Tags};
use service::dto::{Group, GroupInput, Tag, TagInput};

#[utoipa::path(get, path = "/api/v1/tags", tag = "tags", responses((status = 200, body = Vec<Tag>)), security(("bearer" = [])))]
pub async fn list_tags(State(st): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<Vec<Tag>>> {
    Ok(Json(labels::list::<Tags>(&st.svc).await?))
}

#[utoipa::path(post, path = "/api/v1/tags", tag = "tags", request_body = TagInput,
    responses((status = 201, body = Tag), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_tag(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<TagInput>,
) -> ApiResult<(StatusCode, Json<Tag>)> {
    Ok((StatusCode::CREATED, Json(labels::create::<Tags>(&st.svc, &actor, &input).await?)))
}

#[utoipa::path(put, path = "/api/v1/tags/{id}", tag = "tags", request_body = TagInput,
    responses((status = 200, body = Tag), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn update_tag(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<TagInput>,
) -> ApiResult<Json<Tag>> {
    Ok(Json(labels::update::<Tags>(&st.svc, &actor, id, &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags", responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_tag(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    labels::delete::<Tags>(&st.svc, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", responses((status = 200, body = Vec<Group>)), security(("bearer" = [])))]
pub async fn list_groups(State(st): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(labels::list::<Groups>(&st.svc).await?))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = GroupInput,
    responses((status = 201, body = Group), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_group(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    Ok((StatusCode::CREATED, Json(labels::create::<Groups>(&st.svc, &actor, &input).await?)))
}

#[utoipa::path(put, path = "/api/v1/groups/{id}", tag = "groups", request_body = GroupInput,
    responses((status = 200, body = Group), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn update_group(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<Json<Group>> {
    Ok(Json(labels::update::<Groups>(&st.svc, &actor, id, &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_group(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    labels::delete::<Groups>(&st.svc, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
