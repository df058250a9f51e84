//! System settings stored as JSON values, with defaults for what is not set.

use crate::{audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::setting;
use sea_orm::{EntityTrait, Set};
use serde_json::Value;

pub const DEFAULT_REGION: &str = "default_phone_region";

pub async fn get(svc: &Services, key: &str) -> AppResult<Option<Value>> {
    Ok(setting::Entity::find_by_id(key.to_string())
        .one(&svc.db)
        .await?
        .and_then(|s| serde_json::from_str(&s.value).ok()))
}

pub async fn set(svc: &Services, actor: &Actor, key: &str, value: Value) -> AppResult<()> {
    actor.require_admin()?;
    if key == DEFAULT_REGION {
        let region = value.as_str().unwrap_or_default();
        if region.parse::<phonenumber::country::Id>().is_err() {
            return Err(AppError::validation("value", "must be a two-letter region code such as US, GB, DE or RU"));
        }
    }
    if key == crate::admin::OCR_ENGINE_ORDER {
        let names: Vec<String> = serde_json::from_value(value.clone())
            .map_err(|_| AppError::validation("value", "must be a list of engine names such as [\"paddle\"]"))?;
        crate::admin::validate_engine_order(&names)?;
    }
    if key == crate::duplicates::SETTINGS_KEY {
        crate::duplicates::parse_settings(&value).map_err(|e| AppError::validation("value", e))?;
    }
    let before = get(svc, key).await?;
    let row =
        setting::ActiveModel { key: Set(key.to_string()), value: Set(value.to_string()), updated_at: Set(Utc::now()) };
    setting::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(setting::Column::Key)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(&svc.db)
        .await?;
    audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        "setting",
        "update",
        serde_json::json!({"key": key, "from": before, "to": value}),
    )
    .await?;
    Ok(())
}

/// The region national phone numbers are read in (setting, else `US`).
pub async fn default_region(svc: &Services) -> AppResult<String> {
    Ok(get(svc, DEFAULT_REGION).await?.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "US".into()))
}
