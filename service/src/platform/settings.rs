//! System settings stored as JSON values, with defaults for what is not set.
//!
//! Settings are read on hot paths (every contact write needs the default phone region), so the
//! whole table — a handful of rows — is kept in memory ([`SettingsCache`]) and read again from the
//! database at most every [`SettingsCache::TTL`]. A change made through [`set`] drops this
//! process's copy at once; other instances sharing the database see it within the TTL.

use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::setting;
use sea_orm::{EntityTrait, Set};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEFAULT_REGION: &str = "default_phone_region";

type Snapshot = Arc<HashMap<String, Value>>;

/// Every stored setting, as last read from the database, for [`SettingsCache::TTL`].
#[derive(Default)]
pub struct SettingsCache {
    /// Bumped by every write through this process: a read that started before it is not kept.
    generation: AtomicU64,
    current: Mutex<Option<(u64, Instant, Snapshot)>>,
    /// How many times the table was read (tests and the bench check that writes do not read it).
    loads: AtomicU64,
    /// One refill at a time: requests arriving meanwhile wait for it instead of all querying.
    refill: tokio::sync::Mutex<()>,
}

impl SettingsCache {
    /// How long another instance's change can stay unseen here.
    pub const TTL: Duration = Duration::from_secs(5);

    fn fresh(&self) -> Option<Snapshot> {
        let generation = self.generation.load(Ordering::Acquire);
        let cur = self.current.lock().ok()?;
        let (g, at, snap) = cur.as_ref()?;
        (*g == generation && at.elapsed() < Self::TTL).then(|| snap.clone())
    }

    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cur) = self.current.lock() {
            *cur = None;
        }
    }

    /// How many times the settings table has been read by this process.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }
}

/// All stored settings (cached; see [`SettingsCache`]).
pub async fn all(svc: &Services) -> AppResult<Snapshot> {
    let cache = &svc.settings;
    if let Some(s) = cache.fresh() {
        return Ok(s);
    }
    let _turn = cache.refill.lock().await;
    if let Some(s) = cache.fresh() {
        return Ok(s);
    }
    // Read the generation before the database: a write landing meanwhile makes this read stale.
    let generation = cache.generation.load(Ordering::Acquire);
    cache.loads.fetch_add(1, Ordering::Relaxed);
    let rows = setting::Entity::find().all(&svc.db).await?;
    let snap: Snapshot =
        Arc::new(rows.into_iter().filter_map(|r| Some((r.key, serde_json::from_str(&r.value).ok()?))).collect());
    if let Ok(mut cur) = cache.current.lock() {
        if cache.generation.load(Ordering::Acquire) == generation {
            *cur = Some((generation, Instant::now(), snap.clone()));
        }
    }
    Ok(snap)
}

pub async fn get(svc: &Services, key: &str) -> AppResult<Option<Value>> {
    Ok(all(svc).await?.get(key).cloned())
}

/// The stored value of `key` straight from the database (no cache): for read-modify-write.
async fn get_stored(svc: &Services, key: &str) -> AppResult<Option<Value>> {
    Ok(setting::Entity::find_by_id(key.to_string())
        .one(&svc.db)
        .await?
        .and_then(|s| serde_json::from_str(&s.value).ok()))
}

/// An administrator's change of one setting, audited. Only the phone region is checked here; a
/// setting a domain owns is checked by that domain's own setter before it calls this (the OCR
/// engine order by `admin::save_settings`, the matching settings by `duplicates::put_settings`),
/// so this module, under every domain, knows none of them.
pub async fn set(svc: &Services, actor: &Actor, key: &str, value: Value) -> AppResult<()> {
    actor.require_admin()?;
    if key == DEFAULT_REGION {
        let region = value.as_str().unwrap_or_default();
        if region.parse::<phonenumber::country::Id>().is_err() {
            return Err(AppError::validation("value", "must be a two-letter region code such as US, GB, DE or RU"));
        }
    }
    let before = get_stored(svc, key).await?;
    set_internal(svc, key, value.clone()).await?;
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

/// Writes a setting with no actor and no audit entry: [`set`]'s write, and on its own for values
/// the server keeps for itself (the version of the stored duplicate keys), never for what a
/// person sets.
pub(crate) async fn set_internal(svc: &Services, key: &str, value: Value) -> AppResult<()> {
    let row =
        setting::ActiveModel { key: Set(key.to_string()), value: Set(value.to_string()), updated_at: Set(Utc::now()) };
    let written = setting::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(setting::Column::Key)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(&svc.db)
        .await;
    // Dropped whatever happened: a failed write may still have reached the database.
    svc.settings.invalidate();
    written?;
    Ok(())
}

/// Every region code `default_phone_region` accepts (upper case, as stored), sorted.
pub fn region_codes() -> Vec<String> {
    let mut out = Vec::new();
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let code = String::from_utf8(vec![a, b]).unwrap_or_default();
            if code.parse::<phonenumber::country::Id>().is_ok() {
                out.push(code);
            }
        }
    }
    out
}

/// The region national phone numbers are read in (setting, else `US`).
pub async fn default_region(svc: &Services) -> AppResult<String> {
    Ok(get(svc, DEFAULT_REGION).await?.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "US".into()))
}
