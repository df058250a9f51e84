//! Per-user preferences, such as the columns of the contact table.

use crate::dto::{default_columns, CONTACT_COLUMNS};
use crate::{Actor, AppError, AppResult, Services};
use entity::user_pref;
use sea_orm::{EntityTrait, Set};

const COLUMNS: &str = "contact_columns";

pub async fn columns(svc: &Services, actor: &Actor) -> AppResult<Vec<String>> {
    let stored = user_pref::Entity::find_by_id((actor.user_id, COLUMNS.to_string())).one(&svc.db).await?;
    Ok(stored.and_then(|p| serde_json::from_str(&p.value).ok()).unwrap_or_else(default_columns))
}

pub async fn set_columns(svc: &Services, actor: &Actor, columns: Vec<String>) -> AppResult<Vec<String>> {
    if columns.is_empty() {
        return Err(AppError::validation("columns", "choose at least one column"));
    }
    if let Some(bad) = columns.iter().find(|c| !CONTACT_COLUMNS.contains(&c.as_str())) {
        return Err(AppError::validation("columns", format!("unknown column '{bad}'")));
    }
    store(svc, actor.user_id, COLUMNS, serde_json::to_string(&columns).unwrap_or_default()).await?;
    Ok(columns)
}

/// Writes one preference of a user (insert, or replace the stored value).
pub(crate) async fn store(svc: &Services, user_id: i64, key: &str, value: String) -> AppResult<()> {
    let row = user_pref::ActiveModel { user_id: Set(user_id), key: Set(key.to_string()), value: Set(value) };
    user_pref::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([user_pref::Column::UserId, user_pref::Column::Key])
                .update_column(user_pref::Column::Value)
                .to_owned(),
        )
        .exec(&svc.db)
        .await?;
    Ok(())
}

const SCAN_READER: &str = "scan_reader";

/// Where a person's card photos are read (`server`, the default; `device`: in the browser, by the
/// on-device reader; `offline`: in the browser when there is no connection, else on the server).
pub const SCAN_READERS: [&str; 3] = ["server", "device", "offline"];

pub async fn scan_reader(svc: &Services, actor: &Actor) -> AppResult<String> {
    let stored = user_pref::Entity::find_by_id((actor.user_id, SCAN_READER.to_string())).one(&svc.db).await?;
    Ok(stored.map(|p| p.value).filter(|v| SCAN_READERS.contains(&v.as_str())).unwrap_or_else(|| "server".into()))
}

pub async fn set_scan_reader(svc: &Services, actor: &Actor, reader: &str) -> AppResult<String> {
    let reader = reader.trim().to_lowercase();
    if !SCAN_READERS.contains(&reader.as_str()) {
        return Err(AppError::validation("scan_reader", format!("must be one of {}", SCAN_READERS.join(", "))));
    }
    store(svc, actor.user_id, SCAN_READER, reader.clone()).await?;
    Ok(reader)
}
