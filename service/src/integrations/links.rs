//! One-time link codes (only their SHA-256 is stored) and the linked accounts they make: a Telegram
//! user or a WhatsApp number → a cardcrm user.

use super::*;

pub(super) fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

pub(super) fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect()
}

fn check_integration(integration: &str) -> AppResult<()> {
    if integration == TELEGRAM || integration == WHATSAPP {
        Ok(())
    } else {
        Err(AppError::validation("integration", "must be telegram or whatsapp"))
    }
}

/// A WhatsApp number as the Cloud API writes `from`: E.164 digits without `+`.
pub async fn whatsapp_number(svc: &Services, raw: &str) -> AppResult<String> {
    let raw = raw.trim();
    let region = settings::default_region(svc).await?;
    let e164 = crate::platform::text::phone_e164(raw, &region).ok_or_else(|| {
        AppError::validation("number", "is not a phone number (write it with the country code, e.g. +44 7700 900123)")
    })?;
    Ok(e164.trim_start_matches('+').to_string())
}

/// A new one-time code for the signed-in user (earlier unused codes of theirs for the same
/// integration stop working). For WhatsApp the number it will link is given here and the code must
/// then come from that number.
pub async fn create_link_code(
    svc: &Services,
    actor: &Actor,
    integration: &str,
    number: Option<&str>,
) -> AppResult<LinkCode> {
    check_integration(integration)?;
    let number = match (integration, number) {
        (WHATSAPP, Some(n)) if !n.trim().is_empty() => Some(whatsapp_number(svc, n).await?),
        (WHATSAPP, _) => return Err(AppError::validation("number", "is required to link WhatsApp")),
        _ => None,
    };
    let cfg = config(svc).await?;
    let code = new_code();
    let now = Utc::now();
    let expires_at = now + ChronoDuration::minutes(LINK_CODE_TTL_MINUTES);
    let backend = svc.db.get_database_backend();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    txn.execute_raw(stmt(
        backend,
        "DELETE FROM integration_link_codes WHERE user_id = ? AND integration = ? AND used_at IS NULL",
        vec![actor.user_id.into(), integration.into()],
    ))
    .await?;
    txn.execute_raw(stmt(
        backend,
        "INSERT INTO integration_link_codes (code_sha256, integration, user_id, external_id, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            code_hash(&code).into(),
            integration.into(),
            actor.user_id.into(),
            number.clone().into(),
            now.into(),
            expires_at.into(),
        ],
    ))
    .await?;
    audit::record(
        &txn,
        Some(actor.user_id),
        None,
        "integration",
        "link_code",
        serde_json::json!({"integration": integration}),
    )
    .await?;
    txn.commit().await?;
    let (command, bot_link) = if integration == TELEGRAM {
        (format!("/start {code}"), cfg.telegram_bot_username.as_ref().map(|b| format!("https://t.me/{b}?start={code}")))
    } else {
        (format!("link {code}"), None)
    };
    Ok(LinkCode { code, integration: integration.into(), command, bot_link, number, expires_at })
}

#[derive(FromQueryResult)]
struct CodeRow {
    id: i64,
    user_id: i64,
    external_id: Option<String>,
}

/// Why a code was not accepted (said to the chat, never more precise than needed).
#[derive(Debug, PartialEq, Eq)]
pub enum RedeemError {
    /// Unknown, used, expired, or for another number.
    Invalid,
    /// The account behind the code is not active.
    Inactive,
}

/// Redeems a code sent from `external_id` (Telegram user id / WhatsApp number): links that chat to
/// the code's user and returns them. A code works once.
pub async fn redeem_link_code(
    svc: &Services,
    integration: &str,
    code: &str,
    external_id: &str,
    chat_id: &str,
    display_name: &str,
) -> AppResult<Result<Actor, RedeemError>> {
    check_integration(integration)?;
    let code = code.trim();
    if code.is_empty() || code.len() > 64 {
        return Ok(Err(RedeemError::Invalid));
    }
    let backend = svc.db.get_database_backend();
    let now = Utc::now();
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let row = CodeRow::find_by_statement(stmt(
        backend,
        "SELECT id, user_id, external_id FROM integration_link_codes \
         WHERE code_sha256 = ? AND integration = ? AND used_at IS NULL AND expires_at > ?",
        vec![code_hash(code).into(), integration.into(), now.into()],
    ))
    .one(&txn)
    .await?;
    let Some(row) = row else { return Ok(Err(RedeemError::Invalid)) };
    if row.external_id.as_deref().is_some_and(|n| n != external_id) {
        return Ok(Err(RedeemError::Invalid));
    }
    let Some(u) = user::Entity::find_by_id(row.user_id).one(&txn).await? else { return Ok(Err(RedeemError::Invalid)) };
    if !u.is_active {
        return Ok(Err(RedeemError::Inactive));
    }
    let used = txn
        .execute_raw(stmt(
            backend,
            "UPDATE integration_link_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
            vec![now.into(), row.id.into()],
        ))
        .await?;
    if used.rows_affected() != 1 {
        return Ok(Err(RedeemError::Invalid));
    }
    txn.execute_raw(stmt(
        backend,
        "DELETE FROM integration_accounts WHERE integration = ? AND external_id = ?",
        vec![integration.into(), external_id.into()],
    ))
    .await?;
    if integration == WHATSAPP {
        // One WhatsApp number per user.
        txn.execute_raw(stmt(
            backend,
            "DELETE FROM integration_accounts WHERE integration = ? AND user_id = ?",
            vec![integration.into(), u.id.into()],
        ))
        .await?;
    }
    let name: String = display_name.chars().take(200).collect();
    txn.execute_raw(stmt(
        backend,
        "INSERT INTO integration_accounts (integration, external_id, chat_id, display_name, user_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![integration.into(), external_id.into(), chat_id.into(), name.into(), u.id.into(), now.into()],
    ))
    .await?;
    audit::record(&txn, Some(u.id), None, "integration", "link", serde_json::json!({"integration": integration}))
        .await?;
    txn.commit().await?;
    Ok(Ok(Actor { user_id: u.id, username: u.username, is_admin: u.is_admin }))
}

#[derive(FromQueryResult)]
struct AccountRow {
    id: i64,
    integration: String,
    external_id: String,
    display_name: String,
    user_id: i64,
    created_at: DateTime<Utc>,
}

/// The active cardcrm user a chat is linked to, if any.
pub async fn linked_user(svc: &Services, integration: &str, external_id: &str) -> AppResult<Option<Actor>> {
    let row = AccountRow::find_by_statement(stmt(
        svc.db.get_database_backend(),
        "SELECT id, integration, external_id, display_name, user_id, created_at FROM integration_accounts \
         WHERE integration = ? AND external_id = ?",
        vec![integration.into(), external_id.into()],
    ))
    .one(&svc.db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    actor_for(svc, row.user_id).await
}

/// The acting user for work done on behalf of `user_id`, if the account is still active.
pub async fn actor_for(svc: &Services, user_id: i64) -> AppResult<Option<Actor>> {
    Ok(user::Entity::find_by_id(user_id).one(&svc.db).await?.filter(|u| u.is_active).map(|u| Actor {
        user_id: u.id,
        username: u.username,
        is_admin: u.is_admin,
    }))
}

/// The signed-in user's linked accounts and pending WhatsApp number.
pub async fn mine(svc: &Services, actor: &Actor) -> AppResult<MyIntegrations> {
    let backend = svc.db.get_database_backend();
    let rows = AccountRow::find_by_statement(stmt(
        backend,
        "SELECT id, integration, external_id, display_name, user_id, created_at FROM integration_accounts \
         WHERE user_id = ? ORDER BY id",
        vec![actor.user_id.into()],
    ))
    .all(&svc.db)
    .await?;
    let pending = CodeRow::find_by_statement(stmt(
        backend,
        "SELECT id, user_id, external_id FROM integration_link_codes \
         WHERE user_id = ? AND integration = 'whatsapp' AND used_at IS NULL AND expires_at > ? ORDER BY id DESC",
        vec![actor.user_id.into(), Utc::now().into()],
    ))
    .one(&svc.db)
    .await?;
    let cfg = config(svc).await?;
    Ok(MyIntegrations {
        accounts: rows
            .into_iter()
            .map(|r| LinkedAccount {
                id: r.id,
                integration: r.integration,
                external_id: r.external_id,
                display_name: r.display_name,
                created_at: r.created_at,
            })
            .collect(),
        pending_whatsapp: pending.and_then(|p| p.external_id),
        telegram_enabled: cfg.telegram_configured(),
        whatsapp_enabled: cfg.whatsapp_configured(),
        bot_username: cfg.telegram_bot_username,
    })
}

/// Removes one of the caller's linked accounts (an administrator may remove anyone's), or with
/// `id = None` the caller's pending WhatsApp number.
pub async fn unlink(svc: &Services, actor: &Actor, id: Option<i64>) -> AppResult<()> {
    let backend = svc.db.get_database_backend();
    let Some(id) = id else {
        svc.db
            .execute_raw(stmt(
                backend,
                "DELETE FROM integration_link_codes WHERE user_id = ? AND integration = 'whatsapp' AND used_at IS NULL",
                vec![actor.user_id.into()],
            ))
            .await?;
        return Ok(());
    };
    let row = AccountRow::find_by_statement(stmt(
        backend,
        "SELECT id, integration, external_id, display_name, user_id, created_at FROM integration_accounts WHERE id = ?",
        vec![id.into()],
    ))
    .one(&svc.db)
    .await?
    .filter(|r| r.user_id == actor.user_id || actor.is_admin)
    .ok_or_else(|| AppError::not_found("linked account"))?;
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    txn.execute_raw(stmt(backend, "DELETE FROM integration_accounts WHERE id = ?", vec![row.id.into()])).await?;
    audit::record(
        &txn,
        Some(actor.user_id),
        None,
        "integration",
        "unlink",
        serde_json::json!({"integration": row.integration, "user_id": row.user_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Durable updates
