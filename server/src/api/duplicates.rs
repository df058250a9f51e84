//! `/api/v1/contacts/check-duplicates` and `/api/v1/duplicates*`: check-on-create for editors,
//! bots and imports, the list of stored pairs by status, and marking a pair reviewed or ignored.

use super::{ApiJson, ApiPath, ApiQuery, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use service::dto::{
    CheckDuplicatesInput, DuplicateCandidate, DuplicatePair, DuplicateQuery, DuplicateStatusInput, Page,
};
use service::duplicates;

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
