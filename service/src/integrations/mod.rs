//! Telegram and WhatsApp intake, the parts without HTTP: integration settings (stored, masked when
//! shown, the environment wins), one-time link codes (only their SHA-256 is stored), linked accounts
//! (a Telegram user or a WhatsApp number → a cardcrm user), and `bot_updates`, the durable record of
//! every accepted update. The webhooks (server crate) write a row before they answer 200; a
//! background processor works each row through its steps (download → scan → contact → reply),
//! saving each step, so a retry after an API failure never repeats a finished step.

use crate::dto::{self, ContactInput, ContactSummary, CONTACT_KINDS};
use crate::integration_dto::{IntegrationSetting, IntegrationStatus, LinkCode, LinkedAccount, MyIntegrations};
use crate::platform::db::statement as stmt;
use crate::platform::integration_config::{config, mask, stored_settings, IntegrationConfig};
use crate::platform::outbound::{check_outbound_url, env_value};
use crate::{contacts, duplicates, platform::audit, platform::settings, Actor, AppError, AppResult, Services};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::{card_scan, user};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Value};
use sha2::{Digest, Sha256};

pub const TELEGRAM: &str = "telegram";
pub const WHATSAPP: &str = "whatsapp";

/// How long a link code can be redeemed.
pub const LINK_CODE_TTL_MINUTES: i64 = 15;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;

pub use crate::integration_dto::SETTINGS;

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
        check_outbound_url(value).await.map_err(|why| AppError::validation(name, why))?;
    }
    if name == "CARDCRM_PUBLIC_URL"
        && !(value.is_empty() || value.starts_with("https://") || value.starts_with("http://"))
    {
        return Err(AppError::validation(name, "must be an http(s) URL"));
    }
    if name == "GOOGLE_VISION_CREDENTIALS" && !value.is_empty() {
        crate::scans::vision::parse_service_account(value, None).map_err(|why| AppError::validation(name, why))?;
    }
    if name == "GOOGLE_VISION_TOKEN_URL" && !value.is_empty() {
        check_outbound_url(value).await.map_err(|why| AppError::validation(name, why))?;
    }
    if name == "GOOGLE_VISION_TIMEOUT" && !value.is_empty() {
        crate::scans::vision::parse_timeout(value).map_err(|why| AppError::validation(name, why))?;
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

#[derive(FromQueryResult)]
struct Count {
    n: i64,
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

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

fn new_code() -> String {
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

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// What an accepted update asks for; the processor's steps depend on it.
pub mod kind {
    /// Download an image (`payload.media`), read it, save the contact, reply.
    pub const IMAGE: &str = "image";
    /// Shared contacts (`payload.contacts`, WhatsApp): save each, reply.
    pub const CONTACTS: &str = "contacts";
    /// `/search NAME` (`payload.query`): reply with matches.
    pub const SEARCH: &str = "search";
    /// Only send `reply_text`.
    pub const REPLY: &str = "reply";
}

/// A new update to record.
pub struct NewUpdate<'a> {
    pub integration: &'a str,
    /// `update_id` (Telegram) or the message id (WhatsApp): the idempotency key.
    pub external_id: &'a str,
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub chat_id: &'a str,
    pub user_id: Option<i64>,
    /// For `reply` updates: the text to send.
    pub reply_text: Option<String>,
    pub outcome: Option<&'a str>,
}

/// Records an update once. Returns false when the same update was recorded before (a redelivery).
pub async fn record_update<C: ConnectionTrait>(db: &C, u: NewUpdate<'_>) -> AppResult<bool> {
    let now = Utc::now();
    let res = db
        .execute_raw(stmt(
            db.get_database_backend(),
            "INSERT INTO bot_updates (integration, external_id, kind, payload, chat_id, user_id, status, attempts, \
             next_attempt_at, reply_text, outcome, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?) ON CONFLICT (integration, external_id) DO NOTHING",
            vec![
                u.integration.into(),
                u.external_id.into(),
                u.kind.into(),
                u.payload.to_string().into(),
                u.chat_id.into(),
                u.user_id.into(),
                now.into(),
                u.reply_text.into(),
                u.outcome.map(str::to_string).into(),
                now.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(res.rows_affected() > 0)
}

/// Whether an update was recorded already.
pub async fn is_recorded(svc: &Services, integration: &str, external_id: &str) -> AppResult<bool> {
    let row = Count::find_by_statement(stmt(
        svc.db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM bot_updates WHERE integration = ? AND external_id = ?",
        vec![integration.into(), external_id.into()],
    ))
    .one(&svc.db)
    .await?;
    Ok(row.is_some_and(|c| c.n > 0))
}

/// One recorded update and how far it got.
#[derive(Clone, Debug, FromQueryResult)]
pub struct BotUpdate {
    pub id: i64,
    pub integration: String,
    pub external_id: String,
    pub kind: String,
    pub payload: String,
    pub chat_id: String,
    pub user_id: Option<i64>,
    pub status: String,
    pub attempts: i32,
    pub scan_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub outcome: Option<String>,
    pub reply_text: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

const UPDATE_COLUMNS: &str =
    "id, integration, external_id, kind, payload, chat_id, user_id, status, attempts, scan_id, \
     contact_id, outcome, reply_text, replied_at, last_error";

/// All recorded updates (oldest first), for tests and diagnostics.
pub async fn updates(svc: &Services) -> AppResult<Vec<BotUpdate>> {
    let sql = format!("SELECT {UPDATE_COLUMNS} FROM bot_updates ORDER BY id");
    Ok(BotUpdate::find_by_statement(stmt(svc.db.get_database_backend(), &sql, vec![])).all(&svc.db).await?)
}

/// Takes up to `limit` due updates, each leased for `lease` (another instance skips it meanwhile;
/// a crashed holder's lease runs out and the update is picked up again).
pub async fn claim_due(svc: &Services, limit: u64, lease: std::time::Duration) -> AppResult<Vec<BotUpdate>> {
    let backend = svc.db.get_database_backend();
    let now = Utc::now();
    let sql = format!(
        "SELECT {UPDATE_COLUMNS} FROM bot_updates WHERE status = 'pending' AND next_attempt_at <= ? \
         AND (locked_until IS NULL OR locked_until < ?) ORDER BY id LIMIT {}",
        limit.clamp(1, 100)
    );
    let due = BotUpdate::find_by_statement(stmt(backend, &sql, vec![now.into(), now.into()])).all(&svc.db).await?;
    let until = now + ChronoDuration::from_std(lease).unwrap_or_else(|_| ChronoDuration::seconds(120));
    let mut claimed = Vec::new();
    for u in due {
        let res = svc
            .db
            .execute_raw(stmt(
                backend,
                "UPDATE bot_updates SET locked_until = ? WHERE id = ? AND status = 'pending' \
                 AND (locked_until IS NULL OR locked_until < ?)",
                vec![until.into(), u.id.into(), now.into()],
            ))
            .await?;
        if res.rows_affected() == 1 {
            claimed.push(u);
        }
    }
    Ok(claimed)
}

/// A step's result to save on an update row.
#[derive(Default)]
pub struct Progress {
    pub scan_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub outcome: Option<String>,
    pub reply_text: Option<String>,
    pub replied: bool,
    /// `done` or `failed` ends the update and releases it.
    pub status: Option<&'static str>,
    pub last_error: Option<String>,
}

/// Saves a finished step (the update stays leased unless `status` ends it).
pub async fn save_progress(svc: &Services, id: i64, p: Progress) -> AppResult<()> {
    let mut sets = vec!["updated_at = ?".to_string()];
    let mut values: Vec<Value> = vec![Utc::now().into()];
    let mut add = |col: &str, v: Value| {
        sets.push(format!("{col} = ?"));
        values.push(v);
    };
    if let Some(s) = p.scan_id {
        add("scan_id", s.into());
    }
    if let Some(c) = p.contact_id {
        add("contact_id", c.into());
    }
    if let Some(o) = p.outcome {
        add("outcome", o.into());
    }
    if let Some(r) = p.reply_text {
        add("reply_text", r.into());
    }
    if p.replied {
        add("replied_at", Utc::now().into());
    }
    if let Some(e) = p.last_error {
        add("last_error", e.into());
    }
    if let Some(s) = p.status {
        add("status", s.into());
        add("locked_until", Option::<DateTime<Utc>>::None.into());
    }
    values.push(id.into());
    let sql = format!("UPDATE bot_updates SET {} WHERE id = ?", sets.join(", "));
    svc.db.execute_raw(stmt(svc.db.get_database_backend(), &sql, values)).await?;
    Ok(())
}

/// Releases an update to be tried again after `delay`. `failure` counts an attempt (an API that
/// failed); without it the update is only waiting (for OCR).
pub async fn retry_later(svc: &Services, id: i64, delay: std::time::Duration, failure: Option<&str>) -> AppResult<()> {
    let now = Utc::now();
    let at = now + ChronoDuration::from_std(delay).unwrap_or_else(|_| ChronoDuration::seconds(60));
    let none: Option<DateTime<Utc>> = None;
    let (sql, values): (&str, Vec<Value>) = match failure {
        Some(e) => (
            "UPDATE bot_updates SET next_attempt_at = ?, locked_until = ?, attempts = attempts + 1, last_error = ?, \
             updated_at = ? WHERE id = ?",
            vec![at.into(), none.into(), e.chars().take(1000).collect::<String>().into(), now.into(), id.into()],
        ),
        None => (
            "UPDATE bot_updates SET next_attempt_at = ?, locked_until = ?, updated_at = ? WHERE id = ?",
            vec![at.into(), none.into(), now.into(), id.into()],
        ),
    };
    svc.db.execute_raw(stmt(svc.db.get_database_backend(), sql, values)).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// From what was read to a contact and a reply

/// What became of one card (a scan or a shared contact).
#[derive(Clone, Debug)]
pub enum CardOutcome {
    /// A new contact was saved.
    Created { contact: dto::Contact, similar: Option<ContactSummary> },
    /// The person is already in cardcrm (score at or above the duplicate threshold): nothing saved.
    Duplicate { existing: ContactSummary, input: ContactInput },
    /// Nothing usable: no name, company, phone or e-mail, or a field the CRM refuses.
    Unusable(String),
}

impl CardOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            CardOutcome::Created { .. } => "contact_created",
            CardOutcome::Duplicate { .. } => "duplicate",
            CardOutcome::Unusable(_) => "unreadable",
        }
    }
}

/// A copy without `null` members (the OCR writes a field it did not find as `null`).
fn without_nulls(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect()
        }
        serde_json::Value::Array(a) => a.iter().map(without_nulls).collect(),
        other => other.clone(),
    }
}

/// Scan `fields` (contact-shaped JSON) as a contact to save.
pub fn input_from_fields(fields: &serde_json::Value, source: &str) -> ContactInput {
    let mut input: ContactInput = serde_json::from_value(without_nulls(fields)).unwrap_or_default();
    for p in &mut input.phones {
        if !CONTACT_KINDS.contains(&p.kind.as_str()) {
            p.kind = "other".into();
        }
    }
    for e in &mut input.emails {
        if !CONTACT_KINDS.contains(&e.kind.as_str()) {
            e.kind = "work".into();
        }
    }
    input.tags.clear();
    input.groups.clear();
    input.notes.clear();
    input.version = None;
    input.source = Some(source.to_string());
    input
}

/// Saves `input` for `actor` unless the person is already known: the same check-on-create the
/// editor uses, and the same `contacts::create` (audit, keys, duplicate pairs, metrics).
pub async fn save_card(svc: &Services, actor: &Actor, input: ContactInput) -> AppResult<CardOutcome> {
    let check =
        duplicates::check(svc, actor, dto::CheckDuplicatesInput { draft: input.clone(), exclude_id: None }).await;
    let candidates = match check {
        Ok(c) => c,
        Err(AppError::Validation { field, message }) => {
            return Ok(CardOutcome::Unusable(format!("{field}: {message}")))
        }
        Err(e) => return Err(e),
    };
    let s = crate::contacts::matching::match_settings(svc).await?;
    if let Some(top) = candidates.first().filter(|c| c.score >= s.threshold) {
        return Ok(CardOutcome::Duplicate { existing: top.contact.clone(), input });
    }
    match contacts::create(svc, actor, input).await {
        Ok(contact) => Ok(CardOutcome::Created { contact, similar: candidates.first().map(|c| c.contact.clone()) }),
        Err(AppError::Validation { field, message }) => Ok(CardOutcome::Unusable(format!("{field}: {message}"))),
        Err(e) => Err(e),
    }
}

/// Marks the scan as the source of the contact made from it.
pub async fn attach_scan(svc: &Services, scan_id: i64, contact_id: i64) -> AppResult<()> {
    card_scan::Entity::update_many()
        .col_expr(card_scan::Column::ContactId, Expr::value(Some(contact_id)))
        .filter(card_scan::Column::Id.eq(scan_id))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// The fields read, one per line, for a chat reply.
pub fn describe(input: &ContactInput) -> String {
    let mut lines = Vec::new();
    let name = if input.full_name.trim().is_empty() {
        [&input.first_name, &input.middle_name, &input.last_name]
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        input.full_name.trim().to_string()
    };
    for (label, v) in [
        ("Name", name.as_str()),
        ("Position", input.position.trim()),
        ("Company", input.company.trim()),
        ("Department", input.department.trim()),
    ] {
        if !v.is_empty() {
            lines.push(format!("{label}: {v}"));
        }
    }
    for p in &input.phones {
        lines.push(format!("Phone ({}): {}", p.kind, p.number.trim()));
    }
    for e in &input.emails {
        lines.push(format!("E-mail: {}", e.address.trim()));
    }
    for (label, v) in [("Website", input.website.trim()), ("Address", input.address.trim())] {
        if !v.is_empty() {
            lines.push(format!("{label}: {v}"));
        }
    }
    lines.join("\n")
}

fn who(c: &ContactSummary) -> String {
    match (c.full_name.trim(), c.company.trim()) {
        ("", "") => format!("contact #{}", c.id),
        (n, "") => n.to_string(),
        ("", co) => co.to_string(),
        (n, co) => format!("{n} ({co})"),
    }
}

/// The chat reply for one card. A saved contact is linked (its page shows the card photo); when
/// nothing was saved, `scan_id` links the scan page, which opens the card in the block editor.
pub fn reply_for(cfg: &IntegrationConfig, outcome: &CardOutcome, read: &ContactInput, scan_id: Option<i64>) -> String {
    let mut text = String::new();
    let fields = describe(read);
    let saved = matches!(outcome, CardOutcome::Created { .. });
    let open_scan = scan_id
        .filter(|_| !saved)
        .map(|id| format!("\nCheck and save the card: {}", cfg.link(&format!("/scan?id={id}"))));
    match outcome {
        CardOutcome::Created { contact, similar } => {
            text.push_str("Read from the card:\n");
            text.push_str(&fields);
            text.push_str(&format!("\n\nSaved to cardcrm: {}", cfg.link(&format!("/contacts/{}", contact.id))));
            if let Some(s) = similar {
                text.push_str(&format!(
                    "\nIt looks a little like {}: {}",
                    who(s),
                    cfg.link(&format!("/contacts/{}", s.id))
                ));
            }
        }
        CardOutcome::Duplicate { existing, .. } => {
            text.push_str("Read from the card:\n");
            text.push_str(&fields);
            text.push_str(&format!(
                "\n\nAlready in cardcrm as {}: {}\nNothing new was saved.",
                who(existing),
                cfg.link(&format!("/contacts/{}", existing.id))
            ));
        }
        CardOutcome::Unusable(why) => {
            text.push_str("I could not find a name, company, phone or e-mail to save");
            if !fields.is_empty() {
                text.push_str(" (");
                text.push_str(why);
                text.push_str(").\nRead:\n");
                text.push_str(&fields);
            } else {
                text.push('.');
            }
        }
    }
    if let Some(link) = open_scan {
        text.push_str(&link);
    }
    text
}

/// The reply to `/search NAME`: up to five matches with links.
pub async fn search_reply(svc: &Services, actor: &Actor, cfg: &IntegrationConfig, query: &str) -> AppResult<String> {
    let q = query.trim();
    if q.is_empty() {
        return Ok("Write a name after /search, e.g. /search Anna Petrova".into());
    }
    let hits = crate::search::hits(svc, actor, q, 5).await?;
    if hits.is_empty() {
        return Ok(format!("No contacts match \"{q}\"."));
    }
    let mut text = format!("Contacts matching \"{q}\":");
    for h in hits {
        let mut line =
            format!("\n• {}", if h.full_name.is_empty() { format!("#{}", h.id) } else { h.full_name.clone() });
        if !h.company.is_empty() {
            line.push_str(&format!(", {}", h.company));
        }
        if let Some(p) = &h.phone {
            line.push_str(&format!(", {p}"));
        }
        if let Some(e) = &h.email {
            line.push_str(&format!(", {e}"));
        }
        line.push_str(&format!("\n  {}", cfg.link(&format!("/contacts/{}", h.id))));
        text.push_str(&line);
    }
    Ok(text)
}

/// The scan an update fed, as the processor needs it.
pub async fn scan_state(svc: &Services, scan_id: i64) -> AppResult<Option<card_scan::Model>> {
    Ok(card_scan::Entity::find_by_id(scan_id).one(&svc.db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask("short"), "••••••");
        assert_eq!(mask("123456:ABCDEFGHIJKLMNOP"), "••••••MNOP");
    }

    #[test]
    fn telegram_secret_rule() {
        assert!(valid_telegram_secret("abc_DEF-123"));
        assert!(!valid_telegram_secret(""));
        assert!(!valid_telegram_secret("has space"));
        assert!(!valid_telegram_secret(&"a".repeat(257)));
    }

    #[test]
    fn codes_are_hashed_case_insensitively() {
        let c = new_code();
        assert_eq!(c.len(), CODE_LEN);
        assert_eq!(code_hash(&c), code_hash(&c.to_lowercase()));
    }

    #[test]
    fn placeholders_for_postgres() {
        let s = stmt(sea_orm::DatabaseBackend::Postgres, "a = ? AND b = ?", vec![1.into(), 2.into()]);
        assert_eq!(s.sql, "a = $1 AND b = $2");
    }

    #[test]
    fn scan_fields_become_a_contact_draft() {
        let fields = serde_json::json!({
            "full_name": "Avery Smith", "company": "Contoso", "blocks": {"full_name": [0]}, "website": null,
            "phones": [{"kind": "pager", "number": "+1 555 0100", "e164": "+15550100", "blocks": [1]}],
            "emails": [{"address": "avery@contoso.com", "blocks": [2]}],
        });
        let input = input_from_fields(&fields, "telegram");
        assert_eq!(input.full_name, "Avery Smith");
        assert_eq!(input.phones[0].kind, "other");
        assert_eq!(input.emails[0].address, "avery@contoso.com");
        assert_eq!(input.source.as_deref(), Some("telegram"));
        let text = describe(&input);
        assert!(text.contains("Name: Avery Smith") && text.contains("E-mail: avery@contoso.com"), "{text}");
    }
}
