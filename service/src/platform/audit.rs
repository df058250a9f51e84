//! The audit log: every change to a contact or an account, with who made it and a field diff.

use crate::admin_dto::{AuditEntry, AuditQuery};
use crate::dto::{FieldChange, HistoryEntry, Page};
use crate::{Actor, AppError, AppResult, Services};
use chrono::{NaiveDate, Utc};
use entity::{audit_log, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use std::collections::HashMap;

pub async fn record<C: ConnectionTrait>(
    db: &C,
    user_id: Option<i64>,
    contact_id: Option<i64>,
    entity: &str,
    action: &str,
    diff: serde_json::Value,
) -> AppResult<()> {
    audit_log::ActiveModel {
        user_id: Set(user_id),
        contact_id: Set(contact_id),
        entity: Set(entity.to_string()),
        action: Set(action.to_string()),
        diff: Set(diff.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Field-level differences between two JSON objects of the same shape.
pub fn diff(before: &serde_json::Value, after: &serde_json::Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let from = b.get(k).cloned().unwrap_or(serde_json::Value::Null);
            let to = a.get(k).cloned().unwrap_or(serde_json::Value::Null);
            (from != to).then(|| FieldChange { field: k.clone(), from, to })
        })
        .collect()
}

/// The history of one contact, newest first.
pub async fn contact_history<C: ConnectionTrait>(db: &C, contact_id: i64, limit: u64) -> AppResult<Vec<HistoryEntry>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::ContactId.eq(contact_id))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let changes = serde_json::from_str::<serde_json::Value>(&r.diff)
                .ok()
                .and_then(|v| serde_json::from_value::<Vec<FieldChange>>(v["changes"].clone()).ok())
                .unwrap_or_default();
            HistoryEntry {
                id: r.id,
                action: r.action,
                user: r.user_id.and_then(|id| names.get(&id).cloned()),
                changes,
                created_at: r.created_at,
            }
        })
        .collect())
}

fn day(value: &Option<String>, field: &str) -> AppResult<Option<NaiveDate>> {
    // Empty means no bound; anything else is exactly `YYYY-MM-DD` (no spaces), as documented.
    match value.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::validation(field, "must be a date as YYYY-MM-DD")),
    }
}

/// The audit log for administrators, newest first, filtered by who (username), which contact,
/// what action and entity, and a date range (UTC days, inclusive), one page at a time.
pub async fn query(svc: &Services, actor: &Actor, q: &AuditQuery) -> AppResult<Page<AuditEntry>> {
    actor.require_admin()?;
    let (page, limit) = crate::platform::db::paging(q.page, q.limit, 50)?;
    let mut select = audit_log::Entity::find();
    if let Some(name) = q.user.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        let found = user::Entity::find().filter(user::Column::Username.eq(name.to_lowercase())).one(&svc.db).await?;
        let Some(u) = found else {
            // 404, not 422: the filter is well formed, it names nobody.
            return Err(AppError::NotFound(format!("user: no user named '{name}'")));
        };
        select = select.filter(audit_log::Column::UserId.eq(u.id));
    }
    if let Some(id) = q.contact_id {
        select = select.filter(audit_log::Column::ContactId.eq(id));
    }
    if let Some(a) = q.action.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        select = select.filter(audit_log::Column::Action.eq(a.to_lowercase()));
    }
    if let Some(e) = q.entity.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        select = select.filter(audit_log::Column::Entity.eq(e.to_lowercase()));
    }
    let (from, to) = (day(&q.from, "from")?, day(&q.to, "to")?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            // A well-formed but empty range: nothing is in it.
            return Ok(Page::numbered(Vec::new(), 0, page, limit));
        }
    }
    if let Some(f) = from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        select = select.filter(audit_log::Column::CreatedAt.gte(f.and_utc()));
    }
    if let Some(t) = to.and_then(|d| d.succ_opt()).and_then(|d| d.and_hms_opt(0, 0, 0)) {
        select = select.filter(audit_log::Column::CreatedAt.lt(t.and_utc()));
    }
    let total = select.clone().count(&svc.db).await?;
    let rows = select.order_by_desc(audit_log::Column::Id).offset((page - 1) * limit).limit(limit).all(&svc.db).await?;
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            user_id: r.user_id,
            user: r.user_id.and_then(|id| names.get(&id).cloned()),
            contact_id: r.contact_id,
            entity: r.entity,
            action: r.action,
            diff: serde_json::from_str(&r.diff).unwrap_or(serde_json::Value::String(r.diff)),
            created_at: r.created_at,
        })
        .collect();
    Ok(Page::numbered(items, total, page, limit))
}

/// The distinct actions and entities recorded so far (for the filter choices).
pub async fn actions(svc: &Services, actor: &Actor) -> AppResult<Vec<String>> {
    actor.require_admin()?;
    let mut rows: Vec<String> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Action)
        .distinct()
        .into_tuple()
        .all(&svc.db)
        .await?;
    rows.sort();
    Ok(rows)
}
