//! The integration settings an administrator sets: each checked before it is stored (an API base
//! by the outbound URL rule, Google Vision's key file and timeout as the engine reads them), the
//! audit entry masked; and the status page. Reading the settings in force is
//! `crate::platform::integration_config`.

use super::*;

/// Checks a setting before it is stored; a bad value is a 422 naming the setting. An API base
/// must follow [`check_outbound_url`] (https, public host) unless allowed by the operator.
async fn check_setting(name: &str, value: &str) -> AppResult<bool> {
    let Some((_, secret)) = SETTINGS.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = SETTINGS.iter().map(|(n, _)| *n).collect();
        return Err(AppError::validation("name", format!("unknown setting; one of {}", names.join(", "))));
    };
    if value.chars().count() > 4096 {
        return Err(AppError::validation(name, "must be at most 4096 characters"));
    }
    if name.ends_with("_API_BASE") && !value.is_empty() {
        check_outbound_url(value).await.map_err(|why| AppError::validation(name, why.to_string()))?;
    }
    if name == "CARDCRM_PUBLIC_URL"
        && !(value.is_empty() || value.starts_with("https://") || value.starts_with("http://"))
    {
        return Err(AppError::validation(name, "must be an http(s) URL"));
    }
    if name == "GOOGLE_VISION_CREDENTIALS" && !value.is_empty() {
        crate::scans::vision::parse_service_account(value, None)
            .map_err(|why| AppError::validation(name, why.to_string()))?;
    }
    if name == "GOOGLE_VISION_TOKEN_URL" && !value.is_empty() {
        check_outbound_url(value).await.map_err(|why| AppError::validation(name, why.to_string()))?;
    }
    if name == "GOOGLE_VISION_TIMEOUT" && !value.is_empty() {
        crate::scans::vision::parse_timeout(value).map_err(|why| AppError::validation(name, why.to_string()))?;
    }
    if name == "TELEGRAM_WEBHOOK_SECRET" && !value.is_empty() && !valid_telegram_secret(value) {
        return Err(AppError::validation(name, "must be 1-256 characters of A-Z, a-z, 0-9, _ and -"));
    }
    Ok(*secret)
}

/// Telegram's rule for `secret_token`: 1–256 characters `A-Za-z0-9_-`.
pub fn valid_telegram_secret(s: &str) -> bool {
    (1..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Stores (or with an empty value removes) one setting, without an acting user: for the command
/// line (`cardcrm telegram set-webhook`). The audit entry never holds a secret.
pub async fn store_setting(svc: &Services, actor: Option<&Actor>, name: &str, value: &str) -> AppResult<()> {
    let value = value.trim();
    let secret = check_setting(name, value).await?;
    let backend = svc.db.get_database_backend();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    txn.execute_raw(stmt(backend, "DELETE FROM integration_settings WHERE name = ?", vec![name.into()])).await?;
    if !value.is_empty() {
        txn.execute_raw(stmt(
            backend,
            "INSERT INTO integration_settings (name, value, updated_at) VALUES (?, ?, ?)",
            vec![name.into(), value.into(), Utc::now().into()],
        ))
        .await?;
    }
    let shown = if value.is_empty() {
        serde_json::Value::Null
    } else if secret {
        mask(value).into()
    } else {
        value.into()
    };
    audit::record(
        &txn,
        actor.map(|a| a.user_id),
        None,
        "integration_setting",
        "update",
        serde_json::json!({"name": name, "to": shown}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An administrator changes a setting (an empty value removes it).
pub async fn set_setting(svc: &Services, actor: &Actor, name: &str, value: &str) -> AppResult<()> {
    actor.require_admin()?;
    store_setting(svc, Some(actor), name, value).await
}

async fn count(svc: &Services, sql: &str) -> AppResult<u64> {
    let s = stmt(svc.db.get_database_backend(), sql, vec![]);
    Ok(Count::find_by_statement(s).one(&svc.db).await?.map(|c| c.n.max(0) as u64).unwrap_or(0))
}

/// Administrators only: what is configured (secrets masked), and the state of the update queue.
pub async fn status(svc: &Services, actor: &Actor) -> AppResult<IntegrationStatus> {
    actor.require_admin()?;
    let stored = stored_settings(&svc.db).await?;
    let cfg = config(svc).await?;
    let settings = SETTINGS
        .iter()
        .map(|(name, secret)| {
            let (source, value) = match env_value(name) {
                Some(v) => ("environment", Some(v)),
                None => match stored.iter().find(|r| r.name == *name) {
                    Some(r) => ("stored", Some(r.value.clone())),
                    None => ("unset", None),
                },
            };
            IntegrationSetting {
                name: name.to_string(),
                secret: *secret,
                source: source.into(),
                value: value.map(|v| if *secret { mask(&v) } else { v }),
            }
        })
        .collect();
    Ok(IntegrationStatus {
        // A token is enough for `cardcrm telegram poll`; the webhook also needs its secret (shown below).
        telegram_configured: cfg.telegram_configured(),
        whatsapp_configured: cfg.whatsapp_configured() && cfg.whatsapp_app_secret.is_some(),
        google_vision_configured: cfg.google_vision().is_some(),
        settings,
        pending_updates: count(svc, "SELECT COUNT(*) AS n FROM bot_updates WHERE status = 'pending'").await?,
        failed_updates: count(svc, "SELECT COUNT(*) AS n FROM bot_updates WHERE status = 'failed'").await?,
        linked_accounts: count(svc, "SELECT COUNT(*) AS n FROM integration_accounts").await?,
    })
}

// ---------------------------------------------------------------------------------------------
// Link codes and linked accounts
