//! Administration: password resets, the admin settings page, the system status page and the
//! operational gauges (scan queue depth, duplicate pairs by status) refreshed when `/metrics` is
//! scraped. Every entry point that reveals or changes something checks the administrator role here,
//! so the REST API and the server functions refuse alike.

pub mod maintenance;

use crate::admin_dto::{AdminSettings, Check, SystemStatus};
use crate::scans::engine_order::{ocr_engine_order, validate_engine_order, OCR_ENGINE_ORDER};
use crate::{platform::audit, platform::settings, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{card_scan, duplicate_pair, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rows per status of a table with a `status` column.
async fn by_status<E: EntityTrait>(svc: &Services, column: E::Column) -> AppResult<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = E::find()
        .select_only()
        .column(column)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(column)
        .into_tuple()
        .all(&svc.db)
        .await?;
    let mut rows: Vec<(String, u64)> = rows.into_iter().map(|(s, n)| (s, n.max(0) as u64)).collect();
    rows.sort();
    Ok(rows)
}

fn count_of(rows: &[(String, u64)], status: &str) -> u64 {
    rows.iter().find(|(s, _)| s == status).map(|(_, n)| *n).unwrap_or(0)
}

/// Scans per status (`queued`, `processing`, `done`, `failed`).
pub async fn scans_by_status(svc: &Services) -> AppResult<Vec<(String, u64)>> {
    by_status::<card_scan::Entity>(svc, card_scan::Column::Status).await
}

/// Duplicate pairs per status (`pending`, `reviewed`, `ignored`, `merged`).
pub async fn duplicates_by_status(svc: &Services) -> AppResult<Vec<(String, u64)>> {
    by_status::<duplicate_pair::Entity>(svc, duplicate_pair::Column::Status).await
}

/// Sets the gauges that are cheaper to read from the database than to keep in step:
/// `scan_queue_depth{status}`, `duplicate_pairs{status}` and `contacts_total`. Runs at most once per
/// `min_interval` (a scrape every few seconds costs three small `COUNT` queries).
pub async fn refresh_gauges(svc: &Services, min_interval: Duration) {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    {
        let Ok(mut last) = LAST.lock() else { return };
        if last.is_some_and(|t| t.elapsed() < min_interval) {
            return;
        }
        *last = Some(Instant::now());
    }
    match scans_by_status(svc).await {
        Ok(rows) => {
            for status in [crate::scans::QUEUED, crate::scans::PROCESSING] {
                metrics::gauge!("scan_queue_depth", "status" => status).set(count_of(&rows, status) as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count scans for the metrics"),
    }
    match duplicates_by_status(svc).await {
        Ok(rows) => {
            for status in crate::dto::DUPLICATE_STATUSES {
                metrics::gauge!("duplicate_pairs", "status" => status).set(count_of(&rows, status) as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count duplicate pairs for the metrics"),
    }
    if let Ok(n) = crate::contacts::count_live(svc).await {
        metrics::gauge!("contacts_total").set(n as f64);
    }
}

/// Sets a new password for a user (administrators only). The user's sessions end.
pub async fn reset_password(svc: &Services, actor: &Actor, id: i64, password: &str) -> AppResult<()> {
    actor.require_admin()?;
    let u = user::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("user"))?;
    if password.chars().count() < 10 {
        return Err(AppError::validation("password", "must be at least 10 characters"));
    }
    if password.len() > 256 {
        return Err(AppError::validation("password", "must be at most 256 bytes"));
    }
    if password.to_lowercase().contains(&u.username) {
        return Err(AppError::validation("password", "must not contain the username"));
    }
    let hash = crate::accounts::auth::hash_password(svc, password).await?;
    let username = u.username.clone();
    let mut am: user::ActiveModel = u.into();
    am.password_hash = Set(hash);
    am.updated_at = Set(Utc::now());
    am.update(&svc.db).await?;
    // The old password's sessions end, and so do the access tokens they hold.
    crate::accounts::auth::revoke_all_sessions(svc, id).await?;
    audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        "user",
        "reset_password",
        serde_json::json!({"user_id": id, "username": username}),
    )
    .await?;
    Ok(())
}

pub async fn get_settings(svc: &Services, actor: &Actor) -> AppResult<AdminSettings> {
    actor.require_admin()?;
    let available = crate::scans::vision::available_engines(svc).await?;
    // An engine stored in the order but not available now (`google` after its key was removed) is
    // not used, so it is not shown either; saving the page drops it.
    let mut order: Vec<String> = ocr_engine_order(svc).await?.into_iter().filter(|e| available.contains(e)).collect();
    if order.is_empty() {
        order = crate::scans::engines().iter().map(|s| s.to_string()).collect();
    }
    Ok(AdminSettings {
        default_phone_region: settings::default_region(svc).await?,
        ocr_engine_order: order,
        available_engines: available,
        nightly_duplicate_scan: crate::admin::maintenance::nightly_duplicate_scan(svc).await?,
    })
}

/// Saves what changed (each change is validated and audited by [`settings::set`]).
pub async fn save_settings(svc: &Services, actor: &Actor, input: &AdminSettings) -> AppResult<AdminSettings> {
    actor.require_admin()?;
    let region = input.default_phone_region.trim().to_uppercase();
    let order = validate_engine_order(&input.ocr_engine_order, &crate::scans::vision::available_engines(svc).await?)?;
    if region != settings::default_region(svc).await? {
        settings::set(svc, actor, settings::DEFAULT_REGION, serde_json::Value::String(region)).await.map_err(|e| {
            match e {
                AppError::Validation { message, .. } => AppError::validation("default_phone_region", message),
                other => other,
            }
        })?;
    }
    if order != ocr_engine_order(svc).await? {
        settings::set(svc, actor, OCR_ENGINE_ORDER, serde_json::json!(order)).await?;
    }
    crate::admin::maintenance::set_nightly_duplicate_scan(svc, actor, input.nightly_duplicate_scan).await?;
    get_settings(svc, actor).await
}

/// The status page: database, Redis, OCR models, queue, counts, version.
pub async fn status(svc: &Services, actor: &Actor) -> AppResult<SystemStatus> {
    actor.require_admin()?;
    let models_dir = svc.scans.models_dir();
    let database = match crate::platform::db::ping(&svc.db).await {
        Ok(()) => Check { status: "ok".into(), detail: format!("{:?}", svc.db.get_database_backend()) },
        Err(e) => Check { status: "down".into(), detail: e.to_string() },
    };
    let redis = match svc.limiter.redis_ping().await {
        None => Check { status: "not configured".into(), detail: "rate limits are counted in this process".into() },
        Some(Ok(())) => Check { status: "ok".into(), detail: "rate limits shared through Redis".into() },
        Some(Err(e)) => Check { status: "down".into(), detail: format!("{e}; counting in this process meanwhile") },
    };
    let missing: Vec<&str> = ocr::MODEL_FILES.iter().copied().filter(|f| !models_dir.join(f).is_file()).collect();
    let models = if missing.is_empty() {
        Check {
            status: "ok".into(),
            detail: format!(
                "{} in {}; engines: {}; {}",
                ocr::MODEL_FILES.join(", "),
                models_dir.display(),
                crate::scans::vision::available_engines(svc).await?.join(", "),
                if svc.scans.pipeline_loaded() { "loaded in memory" } else { "loaded on the first scan" }
            ),
        }
    } else {
        Check {
            status: "missing".into(),
            detail: format!("{} missing in {}", missing.join(", "), models_dir.display()),
        }
    };
    let scans = scans_by_status(svc).await?;
    let users = user::Entity::find().count(&svc.db).await?;
    let users_inactive = user::Entity::find().filter(user::Column::IsActive.eq(false)).count(&svc.db).await?;
    Ok(SystemStatus {
        version: env!("CARGO_PKG_VERSION").into(),
        database,
        redis,
        models,
        scans_queued: count_of(&scans, crate::scans::QUEUED),
        scans_processing: count_of(&scans, crate::scans::PROCESSING),
        scans_failed: count_of(&scans, crate::scans::FAILED),
        contacts: crate::contacts::count_live(svc).await?,
        users,
        users_inactive,
        duplicate_pairs: duplicates_by_status(svc).await?,
        maintenance: crate::admin::maintenance::overview(svc).await?,
        maintenance_interval_secs: crate::admin::maintenance::interval_secs(),
    })
}
