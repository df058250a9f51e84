//! Telegram: `POST /webhooks/telegram` (secret header checked in constant time before the body is
//! parsed), the intake shared with long polling (`cardcrm telegram poll`), and the Bot API calls
//! (getFile + download with a size limit, sendMessage, setWebhook, getUpdates, getMe).

use super::{check_status, count, download_limited, help_text, record, refusal_text, send_best_effort, BotError};
use crate::api::detail;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use service::integrations::{self as integ, kind, RedeemError, TELEGRAM};
use service::platform::integration_config::{self, IntegrationConfig};
use service::{AppResult, Services};
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Constant-time comparison (of the SHA-256 digests, so the length does not leak either).
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    bool::from(Sha256::digest(given).ct_eq(&Sha256::digest(expected)))
}

pub async fn webhook(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let cfg = match integration_config::config(&st.svc).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the integration settings");
            return detail(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let Some(secret) = cfg.telegram_webhook_secret.as_deref() else {
        count(TELEGRAM, "not_configured");
        return detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the Telegram webhook is not configured (TELEGRAM_WEBHOOK_SECRET)",
        );
    };
    // The secret is checked before the body is looked at.
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if given.is_empty() || !same_secret(given, secret.as_bytes()) {
        count(TELEGRAM, "rejected");
        return detail(StatusCode::UNAUTHORIZED, "missing or wrong X-Telegram-Bot-Api-Secret-Token");
    }
    let update: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return detail(StatusCode::BAD_REQUEST, format!("the body is not a JSON update: {e}")),
    };
    match intake(&st.svc, &cfg, &update).await {
        Ok(outcome) => {
            if outcome != "accepted" {
                count(TELEGRAM, outcome);
            }
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => {
            // Not recorded: a non-2xx makes Telegram deliver it again.
            tracing::error!(error = %e, "cannot record a Telegram update");
            detail(StatusCode::INTERNAL_SERVER_ERROR, "the update could not be recorded; retry")
        }
    }
}

/// The code of `/start CODE` (also `/start@bot CODE`), if the text is that command.
fn start_code(text: &str) -> Option<&str> {
    let (cmd, rest) = command(text)?;
    (cmd == "start").then_some(rest)
}

/// `/name@bot rest` → (`name`, `rest`).
fn command(text: &str) -> Option<(&str, &str)> {
    let t = text.trim();
    let t = t.strip_prefix('/')?;
    let (head, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    let name = head.split('@').next().unwrap_or(head);
    Some((name, rest.trim()))
}

/// Records one update for the processor (or answers it at once when the chat is not linked).
/// Returns what happened: `accepted`, `linked`, `replayed`, `unlinked` or `ignored`.
pub async fn intake(svc: &Services, cfg: &IntegrationConfig, update: &Value) -> AppResult<&'static str> {
    let Some(update_id) = update["update_id"].as_i64() else { return Ok("ignored") };
    let Some(msg) = update.get("message").filter(|m| m.is_object()) else { return Ok("ignored") };
    let (Some(from), Some(chat)) = (msg["from"]["id"].as_i64(), msg["chat"]["id"].as_i64()) else {
        return Ok("ignored");
    };
    let key = update_id.to_string();
    if integ::is_recorded(svc, TELEGRAM, &key).await? {
        return Ok("replayed");
    }
    let (from, chat) = (from.to_string(), chat.to_string());
    let text = msg["text"].as_str().unwrap_or_default();
    let actor = integ::linked_user(svc, TELEGRAM, &from).await?;

    if let Some(code) = start_code(text).filter(|c| !c.is_empty()) {
        let name = [msg["from"]["first_name"].as_str(), msg["from"]["last_name"].as_str()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let name = match msg["from"]["username"].as_str() {
            Some(u) => format!("{name} (@{u})").trim().to_string(),
            None => name,
        };
        return match integ::redeem_link_code(svc, TELEGRAM, code, &from, &chat, &name).await? {
            Ok(user) => {
                let reply = format!("Linked to the cardcrm account {}.\n\n{}", user.username, help_text(TELEGRAM));
                record(
                    svc,
                    TELEGRAM,
                    &key,
                    kind::REPLY,
                    json!({}),
                    &chat,
                    Some(user.user_id),
                    Some(reply),
                    Some("linked"),
                )
                .await
            }
            Err(why) => {
                let text = match why {
                    RedeemError::Invalid => {
                        "This link code is unknown, used or expired. Create a new one on your profile page in cardcrm."
                    }
                    RedeemError::Inactive => "The cardcrm account behind this code is not active.",
                };
                send_best_effort(cfg, TELEGRAM, chat, text.into());
                Ok("unlinked")
            }
        };
    }
    let Some(actor) = actor else {
        // Nothing is stored for a chat that is not linked.
        send_best_effort(cfg, TELEGRAM, chat, refusal_text(TELEGRAM));
        return Ok("unlinked");
    };
    let uid = Some(actor.user_id);

    if let Some(photos) = msg["photo"].as_array().filter(|p| !p.is_empty()) {
        // The largest size Telegram offers.
        let best = photos.iter().max_by_key(|p| {
            (p["width"].as_u64().unwrap_or(0) * p["height"].as_u64().unwrap_or(0), p["file_size"].as_u64())
        });
        if let Some(file_id) = best.and_then(|p| p["file_id"].as_str()) {
            let payload = json!({"media_id": file_id, "size": best.and_then(|p| p["file_size"].as_u64())});
            return record(svc, TELEGRAM, &key, kind::IMAGE, payload, &chat, uid, None, None).await;
        }
    }
    if let Some(doc) = msg.get("document").filter(|d| d.is_object()) {
        let mime = doc["mime_type"].as_str().unwrap_or("application/octet-stream");
        if mime.starts_with("image/") {
            let payload = json!({
                "media_id": doc["file_id"].as_str().unwrap_or_default(),
                "size": doc["file_size"].as_u64(),
                "file_name": doc["file_name"].as_str(),
            });
            return record(svc, TELEGRAM, &key, kind::IMAGE, payload, &chat, uid, None, None).await;
        }
        let reply =
            format!("This file is not an image ({mime}). Send a photo of a business card, or the picture as a file.");
        return record(svc, TELEGRAM, &key, kind::REPLY, json!({}), &chat, uid, Some(reply), Some("not_image")).await;
    }
    match command(text) {
        Some(("search", q)) => {
            record(svc, TELEGRAM, &key, kind::SEARCH, json!({"query": q}), &chat, uid, None, None).await
        }
        _ => {
            record(svc, TELEGRAM, &key, kind::REPLY, json!({}), &chat, uid, Some(help_text(TELEGRAM)), Some("help"))
                .await
        }
    }
}

/// The Bot API base, refused (not used) when a stored value breaks the rule for where a token may go.
fn api_base(cfg: &IntegrationConfig) -> Result<&str, BotError> {
    cfg.telegram_api().map_err(|e| BotError::Transient(e.to_string()))
}

fn token(cfg: &IntegrationConfig) -> Result<&str, BotError> {
    cfg.telegram_bot_token.as_deref().ok_or_else(|| BotError::Transient("TELEGRAM_BOT_TOKEN is not configured".into()))
}

/// Calls a Bot API method and returns its `result`.
async fn call(
    client: &reqwest::Client,
    cfg: &IntegrationConfig,
    method: &str,
    body: &Value,
) -> Result<Value, BotError> {
    let url = format!("{}/bot{}/{method}", api_base(cfg)?, token(cfg)?);
    let resp = check_status(client.post(url).json(body).send().await?, method).await?;
    let v: Value = resp.json().await?;
    if v["ok"].as_bool() != Some(true) {
        return Err(BotError::Permanent(format!("{method}: {}", v["description"].as_str().unwrap_or("not ok"))));
    }
    Ok(v["result"].clone())
}

pub async fn send_message(
    client: &reqwest::Client,
    cfg: &IntegrationConfig,
    chat: &str,
    text: &str,
) -> Result<(), BotError> {
    let chat_id: Value = chat.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(chat));
    call(
        client,
        cfg,
        "sendMessage",
        &json!({"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": true}}),
    )
    .await
    .map(|_| ())
}

/// `getFile`, then the file itself, at most [`super::MAX_DOWNLOAD_BYTES`].
pub async fn download(
    client: &reqwest::Client,
    cfg: &IntegrationConfig,
    file_id: &str,
    declared: Option<u64>,
) -> Result<Vec<u8>, BotError> {
    let limit = super::MAX_DOWNLOAD_BYTES;
    let too_large = || BotError::TooLarge(format!("the file is larger than {} MB", limit / (1024 * 1024)));
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let file = call(client, cfg, "getFile", &json!({"file_id": file_id})).await?;
    if file["file_size"].as_u64().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let Some(path) = file["file_path"].as_str() else {
        return Err(BotError::Permanent("getFile gave no file_path".into()));
    };
    let url = format!("{}/file/bot{}/{path}", api_base(cfg)?, token(cfg)?);
    let resp = check_status(client.get(url).send().await?, "file download").await?;
    download_limited(resp, limit).await
}

/// A new webhook secret: 48 characters of `A-Za-z0-9_-` (Telegram allows 1–256 of them).
pub fn generate_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::thread_rng();
    (0..48).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// `cardcrm telegram set-webhook URL`: stores a new secret (unless `TELEGRAM_WEBHOOK_SECRET` is set
/// in the environment, which wins), remembers the bot's username, and registers the webhook.
pub async fn set_webhook(svc: &Services, url: &str) -> Result<String, String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("the webhook URL must start with https:// (Telegram accepts only HTTPS)".into());
    }
    let client = super::http_client(Duration::from_secs(30));
    let mut cfg = integration_config::config(svc).await.map_err(|e| e.to_string())?;
    if cfg.telegram_bot_token.is_none() {
        return Err("set TELEGRAM_BOT_TOKEN (from @BotFather) first".into());
    }
    let me = call(&client, &cfg, "getMe", &json!({})).await.map_err(|e| format!("getMe failed: {e}"))?;
    if let Some(username) = me["username"].as_str() {
        integ::store_setting(svc, None, "TELEGRAM_BOT_USERNAME", username).await.map_err(|e| e.to_string())?;
    }
    let secret = match std::env::var("TELEGRAM_WEBHOOK_SECRET").ok().filter(|s| !s.trim().is_empty()) {
        Some(s) if integ::valid_telegram_secret(s.trim()) => s.trim().to_string(),
        Some(_) => return Err("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Za-z0-9_-".into()),
        None => {
            let s = generate_secret();
            integ::store_setting(svc, None, "TELEGRAM_WEBHOOK_SECRET", &s).await.map_err(|e| e.to_string())?;
            s
        }
    };
    cfg.telegram_webhook_secret = Some(secret.clone());
    let body =
        json!({"url": url, "secret_token": secret, "allowed_updates": ["message"], "drop_pending_updates": false});
    call(&client, &cfg, "setWebhook", &body).await.map_err(|e| format!("setWebhook failed: {e}"))?;
    Ok(format!(
        "webhook set to {url} for @{} (the secret is stored; Telegram sends it in X-Telegram-Bot-Api-Secret-Token)",
        me["username"].as_str().unwrap_or("?")
    ))
}

/// `cardcrm telegram poll`: long polling with `getUpdates` for installations without public HTTPS.
/// Each update goes through the same [`intake`]; the offset moves past an update only after it was
/// recorded, so a crash or a database error never loses one. Runs until `stop` resolves.
pub async fn poll(svc: &Services, stop: impl std::future::Future<Output = ()>) -> Result<(), String> {
    let client = super::http_client(Duration::from_secs(60));
    let cfg = integration_config::config(svc).await.map_err(|e| e.to_string())?;
    if cfg.telegram_bot_token.is_none() {
        return Err("set TELEGRAM_BOT_TOKEN (from @BotFather) first".into());
    }
    // getUpdates does not work while a webhook is set.
    call(&client, &cfg, "deleteWebhook", &json!({"drop_pending_updates": false}))
        .await
        .map_err(|e| format!("deleteWebhook failed: {e}"))?;
    tracing::info!("polling Telegram for updates (the webhook, if any, was removed)");
    tokio::pin!(stop);
    let mut offset: i64 = 0;
    loop {
        let body = json!({"offset": offset, "timeout": 25, "allowed_updates": ["message"]});
        let round = async {
            let cfg = integration_config::config(svc).await.map_err(BotError::from)?;
            let updates = call(&client, &cfg, "getUpdates", &body).await?;
            let mut next = offset;
            for u in updates.as_array().into_iter().flatten() {
                let outcome = intake(svc, &cfg, u).await.map_err(BotError::from)?;
                if outcome != "accepted" {
                    count(TELEGRAM, outcome);
                }
                if let Some(id) = u["update_id"].as_i64() {
                    next = next.max(id + 1);
                }
            }
            Ok::<i64, BotError>(next)
        };
        tokio::select! {
            _ = &mut stop => return Ok(()),
            r = round => match r {
                Ok(next) => offset = next,
                Err(e) => {
                    tracing::warn!(error = %e, "getUpdates failed; retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed() {
        assert_eq!(start_code("/start AB12CD34"), Some("AB12CD34"));
        assert_eq!(start_code("/start@cardcrm_bot  AB12 "), Some("AB12"));
        assert_eq!(start_code("/start"), Some(""));
        assert_eq!(start_code("hello"), None);
        assert_eq!(command("/search Anna Petrova"), Some(("search", "Anna Petrova")));
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
        let s = generate_secret();
        assert!(integ::valid_telegram_secret(&s));
    }
}
