//! `/api/v1/contacts/check-duplicates` and `/api/v1/duplicates*`: check-on-create for editors,
//! bots and imports, the list of stored pairs by status, marking a pair reviewed or ignored, the
//! full scan (a background job with progress), the matching settings; `/api/v1/contacts/merge`,
//! `/api/v1/contacts/{id}/merges` and `/api/v1/merges/{id}/undo`.

use super::{ApiJson, ApiPath, ApiQuery, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::dto::{
    CheckDuplicatesInput, ContactMerges, DuplicateCandidate, DuplicatePair, DuplicateQuery, DuplicateScan,
    DuplicateSettings, DuplicateStatusInput, MergeInput, MergeResult, Page,
};
use service::{duplicates, duplicates::duplicate_scans, duplicates::merges};

#[utoipa::path(post, path = "/api/v1/contacts/check-duplicates", tag = "duplicates", request_body = CheckDuplicatesInput,
    responses((status = 200, body = Vec<DuplicateCandidate>, description = "existing contacts the draft looks like, best first"),
              (status = 404, description = "exclude_id names no contact"), (status = 422, description = "invalid field")),
    security(("bearer" = [])))]
pub async fn check(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<CheckDuplicatesInput>,
) -> ApiResult<Json<Vec<DuplicateCandidate>>> {
    Ok(Json(duplicates::check(&st.svc, &actor, input).await?))
}

#[utoipa::path(get, path = "/api/v1/duplicates", tag = "duplicates",
    params(("status" = Option<String>, Query, description = "pending | reviewed | merged | ignored; all when absent"),
           ("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = Page<DuplicatePair>), (status = 422, description = "unknown status")),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<DuplicateQuery>,
) -> ApiResult<Json<Page<DuplicatePair>>> {
    Ok(Json(duplicates::list(&st.svc, &actor, &q).await?))
}

#[utoipa::path(put, path = "/api/v1/duplicates/{id}/status", tag = "duplicates", request_body = DuplicateStatusInput,
    responses((status = 200, body = DuplicatePair), (status = 404), (status = 409, description = "the pair was merged"),
              (status = 422, description = "unknown status")),
    security(("bearer" = [])))]
pub async fn set_status(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DuplicateStatusInput>,
) -> ApiResult<Json<DuplicatePair>> {
    Ok(Json(duplicates::set_status(&st.svc, &actor, id, &input.status).await?))
}

#[utoipa::path(post, path = "/api/v1/duplicates/scan", tag = "duplicates",
    responses((status = 202, body = DuplicateScan, description = "the scan job (the running one if a scan is under way)"),
              (status = 403, description = "administrators only")),
    security(("bearer" = [])))]
pub async fn start_scan(
    State(st): State<AppState>,
    Authed(actor): Authed,
) -> ApiResult<(StatusCode, Json<DuplicateScan>)> {
    Ok((StatusCode::ACCEPTED, Json(duplicate_scans::start(&st.svc, &actor).await?)))
}

#[utoipa::path(get, path = "/api/v1/duplicates/scan/{id}", tag = "duplicates",
    responses((status = 200, body = DuplicateScan, description = "status and progress"), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_scan(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DuplicateScan>> {
    Ok(Json(duplicate_scans::get(&st.svc, &actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/duplicates/scan", tag = "duplicates",
    responses((status = 200, body = Option<DuplicateScan>, description = "the latest scan, or null")),
    security(("bearer" = [])))]
pub async fn latest_scan(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<Option<DuplicateScan>>> {
    Ok(Json(duplicate_scans::latest(&st.svc, &actor).await?))
}

#[utoipa::path(get, path = "/api/v1/duplicates/settings", tag = "duplicates",
    responses((status = 200, body = DuplicateSettings)), security(("bearer" = [])))]
pub async fn get_settings(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<DuplicateSettings>> {
    Ok(Json(duplicates::get_settings(&st.svc, &actor).await?))
}

#[utoipa::path(put, path = "/api/v1/duplicates/settings", tag = "duplicates", request_body = DuplicateSettings,
    responses((status = 200, body = DuplicateSettings), (status = 403, description = "administrators only"),
              (status = 422, description = "a threshold or weight out of range, or an unknown weight")),
    security(("bearer" = [])))]
pub async fn put_settings(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<DuplicateSettings>,
) -> ApiResult<Json<DuplicateSettings>> {
    Ok(Json(duplicates::put_settings(&st.svc, &actor, input).await?))
}

#[utoipa::path(post, path = "/api/v1/contacts/merge", tag = "duplicates", request_body = MergeInput,
    responses((status = 200, body = MergeResult, description = "the merged survivor, or the preview of a dry run"),
              (status = 404, description = "a contact does not exist"),
              (status = 409, description = "a contact changed since it was read (stale version), is in the trash or already merged"),
              (status = 422, description = "invalid ids, fields or missing versions")),
    security(("bearer" = [])))]
pub async fn merge(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<MergeInput>,
) -> ApiResult<Json<MergeResult>> {
    Ok(Json(merges::merge(&st.svc, &actor, input).await?))
}

#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "duplicates",
    responses((status = 200, body = ContactMerges, description = "the survivor's merges after the undo"), (status = 404),
              (status = 409, description = "the survivor was edited after the merge, or the merge was already undone")),
    security(("bearer" = [])))]
pub async fn undo_merge(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ContactMerges>> {
    Ok(Json(merges::undo(&st.svc, &actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/merges", tag = "duplicates",
    responses((status = 200, body = ContactMerges, description = "merges the contact took part in, and what it was merged into"),
              (status = 404)),
    security(("bearer" = [])))]
pub async fn contact_merges(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ContactMerges>> {
    Ok(Json(merges::for_contact(&st.svc, &actor, id).await?))
}
