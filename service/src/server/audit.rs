//! The audit log: every change to a contact or an account, with who made it and a field diff.

use crate::dto::{FieldChange, HistoryEntry};
use crate::AppResult;
use chrono::Utc;
use entity::{audit_log, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
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
