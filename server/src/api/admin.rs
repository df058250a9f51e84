//! `/api/v1/admin/*`: the admin panel over REST — system status, settings, the audit log with
//! filters and paging, and password resets. The role check is in `service` (403 for others).

use super::{ApiJson, ApiPath, ApiQuery, ApiResult, Authed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::admin_dto::{AdminSettings, AuditEntry, AuditQuery, PasswordReset, SystemStatus};
use service::dto::Page;
use service::{admin, platform::audit};

#[utoipa::path(get, path = "/api/v1/admin/status", tag = "admin",
    responses((status = 200, body = SystemStatus), (status = 403, description = "administrators only")),
    security(("bearer" = [])))]
pub async fn status(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<SystemStatus>> {
    Ok(Json(admin::status(&st.svc, &actor).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/settings", tag = "admin",
    responses((status = 200, body = AdminSettings), (status = 403)), security(("bearer" = [])))]
pub async fn get_settings(State(st): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<AdminSettings>> {
    Ok(Json(admin::get_settings(&st.svc, &actor).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/settings", tag = "admin", request_body = AdminSettings,
    responses((status = 200, body = AdminSettings), (status = 403), (status = 422, description = "invalid region or engine")),
    security(("bearer" = [])))]
pub async fn put_settings(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<AdminSettings>,
) -> ApiResult<Json<AdminSettings>> {
    Ok(Json(admin::save_settings(&st.svc, &actor, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    params(("user" = Option<String>, Query, description = "username"), ("contact_id" = Option<i64>, Query),
           ("action" = Option<String>, Query), ("entity" = Option<String>, Query),
           ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD, inclusive"),
           ("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, description = "administrators only"),
              (status = 404, description = "`user` names nobody"), (status = 422, description = "a bad date, page or limit")),
    security(("bearer" = [])))]
pub async fn audit_log(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(audit::query(&st.svc, &actor, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", tag = "admin", request_body = PasswordReset,
    responses((status = 204, description = "password set; the user's sessions ended"), (status = 403), (status = 404),
              (status = 422, description = "password too short")),
    security(("bearer" = [])))]
pub async fn reset_password(
    State(st): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    admin::reset_password(&st.svc, &actor, id, &input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
