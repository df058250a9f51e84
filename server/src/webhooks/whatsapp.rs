//! WhatsApp Cloud API: `GET /webhooks/whatsapp` (the subscription handshake, verify token compared
//! in constant time), `POST /webhooks/whatsapp` (`X-Hub-Signature-256` = HMAC-SHA256 of the raw body
//! with the app secret, checked before parsing), and the Graph API calls (media URL, download with
//! the bearer token and a size limit, send a text message).

use super::telegram::same_secret;
use super::{check_status, count, download_limited, help_text, record, refusal_text, send_best_effort, BotError};
use crate::api::detail;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use service::dto::{ContactInput, EmailInput, PhoneInput};
use service::integrations::{self as integ, kind, RedeemError, WHATSAPP};
use service::platform::integration_config::{self, IntegrationConfig};
use service::{AppResult, Services};
use sha2::Sha256;
use std::collections::HashMap;

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The subscription handshake: `hub.mode=subscribe` with the right `hub.verify_token` → the raw
/// `hub.challenge`; anything else → 403. The token is never logged.
pub async fn verify(State(st): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let expected = match integration_config::config(&st.svc).await {
        Ok(c) => c.whatsapp_verify_token,
        Err(_) => return detail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    let mode_ok = q.get("hub.mode").is_some_and(|m| m == "subscribe");
    let token_ok = match (&expected, q.get("hub.verify_token")) {
        (Some(e), Some(given)) => same_secret(given.as_bytes(), e.as_bytes()),
        _ => false,
    };
    match q.get("hub.challenge") {
        Some(challenge) if mode_ok && token_ok => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge.clone()).into_response()
        }
        _ => detail(StatusCode::FORBIDDEN, "verification failed"),
    }
}

/// Whether `header` is `sha256=<hex HMAC-SHA256(secret, body)>` (compared in constant time).
pub fn signature_ok(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(sig) = hex::decode(hex_sig) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

pub async fn webhook(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let cfg = match integration_config::config(&st.svc).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the integration settings");
            return detail(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let Some(secret) = cfg.whatsapp_app_secret.as_deref() else {
        count(WHATSAPP, "not_configured");
        return detail(StatusCode::SERVICE_UNAVAILABLE, "the WhatsApp webhook is not configured (WHATSAPP_APP_SECRET)");
    };
    // The signature covers the raw bytes; it is checked before the body is parsed.
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !signature_ok(secret.as_bytes(), &body, sig) {
        count(WHATSAPP, "rejected");
        return detail(StatusCode::UNAUTHORIZED, "missing or wrong X-Hub-Signature-256");
    }
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return detail(StatusCode::BAD_REQUEST, format!("the body is not JSON: {e}")),
    };
    for entry in payload["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            for _ in value["statuses"].as_array().into_iter().flatten() {
                count(WHATSAPP, "ignored");
            }
            for msg in value["messages"].as_array().into_iter().flatten() {
                match intake(&st.svc, &cfg, value, msg).await {
                    Ok("accepted") => {}
                    Ok(outcome) => count(WHATSAPP, outcome),
                    Err(e) => {
                        // Meta delivers the whole batch again; what was recorded is skipped then.
                        tracing::error!(error = %e, "cannot record a WhatsApp message");
                        return detail(StatusCode::INTERNAL_SERVER_ERROR, "the message could not be recorded; retry");
                    }
                }
            }
        }
    }
    (StatusCode::OK, "ok").into_response()
}

/// The code of `link CODE` / `/start CODE`.
fn link_code(text: &str) -> Option<&str> {
    let t = text.trim();
    let (head, rest) = t.split_once(char::is_whitespace)?;
    matches!(head.to_lowercase().as_str(), "link" | "/link" | "/start" | "start").then(|| rest.trim())
}

fn search_query(text: &str) -> Option<&str> {
    let t = text.trim();
    let (head, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    matches!(head.to_lowercase().as_str(), "search" | "/search").then(|| rest.trim())
}

/// Records one message (or answers a number that is not linked). Returns the outcome label.
pub async fn intake(svc: &Services, cfg: &IntegrationConfig, value: &Value, msg: &Value) -> AppResult<&'static str> {
    let (Some(id), Some(from)) = (msg["id"].as_str(), msg["from"].as_str()) else { return Ok("ignored") };
    let kind_name = msg["type"].as_str().unwrap_or_default();
    if integ::is_recorded(svc, WHATSAPP, id).await? {
        return Ok("replayed");
    }
    let text = if kind_name == "text" { msg["text"]["body"].as_str().unwrap_or_default() } else { "" };
    if let Some(code) = link_code(text).filter(|c| !c.is_empty()) {
        let name = value["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["wa_id"].as_str() == Some(from))
            .and_then(|c| c["profile"]["name"].as_str())
            .unwrap_or_default()
            .to_string();
        return match integ::redeem_link_code(svc, WHATSAPP, code, from, from, &name).await? {
            Ok(user) => {
                let reply = format!(
                    "This number is now linked to the cardcrm account {}.\n\n{}",
                    user.username,
                    help_text(WHATSAPP)
                );
                record(svc, WHATSAPP, id, kind::REPLY, json!({}), from, Some(user.user_id), Some(reply), Some("linked"))
                    .await
            }
            Err(why) => {
                let text = match why {
                    RedeemError::Invalid => "This link code is unknown, used, expired, or was made for another number. Set your number again on your cardcrm profile page.",
                    RedeemError::Inactive => "The cardcrm account behind this code is not active.",
                };
                send_best_effort(cfg, WHATSAPP, from.to_string(), text.into());
                Ok("unlinked")
            }
        };
    }
    if !matches!(kind_name, "text" | "image" | "document" | "contacts") {
        // Reactions, stickers, audio, locations, `unsupported`…: acknowledged and ignored.
        return Ok("ignored");
    }
    let Some(actor) = integ::linked_user(svc, WHATSAPP, from).await? else {
        send_best_effort(cfg, WHATSAPP, from.to_string(), refusal_text(WHATSAPP));
        return Ok("unlinked");
    };
    let uid = Some(actor.user_id);
    match kind_name {
        "image" => {
            let payload = json!({"media_id": msg["image"]["id"].as_str().unwrap_or_default()});
            record(svc, WHATSAPP, id, kind::IMAGE, payload, from, uid, None, None).await
        }
        "document" => {
            let doc = &msg["document"];
            let mime = doc["mime_type"].as_str().unwrap_or("application/octet-stream");
            if mime.starts_with("image/") {
                let payload =
                    json!({"media_id": doc["id"].as_str().unwrap_or_default(), "file_name": doc["filename"].as_str()});
                record(svc, WHATSAPP, id, kind::IMAGE, payload, from, uid, None, None).await
            } else {
                let reply = format!("This file is not an image ({mime}). Send a photo of a business card.");
                record(svc, WHATSAPP, id, kind::REPLY, json!({}), from, uid, Some(reply), Some("not_image")).await
            }
        }
        "contacts" => {
            record(svc, WHATSAPP, id, kind::CONTACTS, json!({"contacts": msg["contacts"]}), from, uid, None, None).await
        }
        _ => match search_query(text) {
            Some(q) => record(svc, WHATSAPP, id, kind::SEARCH, json!({"query": q}), from, uid, None, None).await,
            None => {
                record(svc, WHATSAPP, id, kind::REPLY, json!({}), from, uid, Some(help_text(WHATSAPP)), Some("help"))
                    .await
            }
        },
    }
}

/// A shared contact (the Cloud API's `contacts[]` item) as a contact to save.
pub fn contact_input(c: &Value, source: &str) -> ContactInput {
    let s = |v: &Value| v.as_str().unwrap_or_default().trim().to_string();
    let kind = |t: &Value| match t.as_str().unwrap_or_default().to_lowercase().as_str() {
        "cell" | "mobile" | "iphone" => "mobile".to_string(),
        "home" => "home".to_string(),
        "work" | "main" => "work".to_string(),
        "fax" => "fax".to_string(),
        _ => "other".to_string(),
    };
    let name = &c["name"];
    ContactInput {
        prefix: s(&name["prefix"]),
        first_name: s(&name["first_name"]),
        middle_name: s(&name["middle_name"]),
        last_name: s(&name["last_name"]),
        full_name: s(&name["formatted_name"]),
        company: s(&c["org"]["company"]),
        position: s(&c["org"]["title"]),
        department: s(&c["org"]["department"]),
        phones: c["phones"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                p["phone"].as_str().map(|n| PhoneInput { kind: kind(&p["type"]), number: n.trim().to_string() })
            })
            .collect(),
        emails: c["emails"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                e["email"].as_str().map(|a| EmailInput {
                    kind: kind(&e["type"]).replace("mobile", "other"),
                    address: a.trim().to_string(),
                })
            })
            .collect(),
        website: c["urls"].as_array().and_then(|u| u.first()).map(|u| s(&u["url"])).unwrap_or_default(),
        address: c["addresses"]
            .as_array()
            .and_then(|a| a.first())
            .map(|a| {
                ["street", "city", "state", "zip", "country"]
                    .iter()
                    .map(|k| s(&a[*k]))
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        source: Some(source.to_string()),
        ..Default::default()
    }
}

fn access_token(cfg: &IntegrationConfig) -> Result<&str, BotError> {
    cfg.whatsapp_access_token
        .as_deref()
        .ok_or_else(|| BotError::Transient("WHATSAPP_ACCESS_TOKEN is not configured".into()))
}

/// `GET /{media-id}` for the URL, then the file with the bearer token, at most [`super::MAX_DOWNLOAD_BYTES`].
pub async fn download(client: &reqwest::Client, cfg: &IntegrationConfig, media_id: &str) -> Result<Vec<u8>, BotError> {
    let limit = super::MAX_DOWNLOAD_BYTES;
    if media_id.is_empty() || !media_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
        return Err(BotError::Permanent("the message has no usable media id".into()));
    }
    let token = access_token(cfg)?;
    let url = format!("{}/{media_id}", cfg.whatsapp_api().map_err(|e| BotError::Transient(e.to_string()))?);
    let meta: Value =
        check_status(client.get(url).bearer_auth(token).send().await?, "media lookup").await?.json().await?;
    if meta["file_size"].as_u64().is_some_and(|n| n > limit as u64) {
        return Err(BotError::TooLarge(format!("the file is larger than {} MB", limit / (1024 * 1024))));
    }
    let Some(file_url) = meta["url"].as_str() else {
        return Err(BotError::Permanent("the media lookup gave no url".into()));
    };
    // The bearer token goes with the download too: the same rule as for the API base (an operator's
    // own API base in the environment vouches for what it answers).
    if !cfg.whatsapp_api_base_from_env {
        if let Err(why) = service::platform::outbound::outbound_url_rule(file_url) {
            return Err(BotError::Permanent(format!("the media URL {why}")));
        }
    }
    let resp = check_status(client.get(file_url).bearer_auth(token).send().await?, "media download").await?;
    download_limited(resp, limit).await
}

pub async fn send_message(
    client: &reqwest::Client,
    cfg: &IntegrationConfig,
    to: &str,
    text: &str,
) -> Result<(), BotError> {
    let token = access_token(cfg)?;
    let Some(phone_id) = cfg.whatsapp_phone_number_id.as_deref() else {
        return Err(BotError::Transient("WHATSAPP_PHONE_NUMBER_ID is not configured".into()));
    };
    let url = format!("{}/{phone_id}/messages", cfg.whatsapp_api().map_err(|e| BotError::Transient(e.to_string()))?);
    let body = json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "text", "text": {"preview_url": false, "body": text},
    });
    check_status(client.post(url).bearer_auth(token).json(&body).send().await?, "send message").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").expect("key");
        mac.update(b"{\"a\":1}");
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_ok(b"secret", b"{\"a\":1}", &good));
        assert!(!signature_ok(b"secret", b"{\"a\":2}", &good));
        assert!(!signature_ok(b"other", b"{\"a\":1}", &good));
        assert!(!signature_ok(b"secret", b"{\"a\":1}", "sha256=zz"));
        assert!(!signature_ok(b"secret", b"{\"a\":1}", ""));
    }

    #[test]
    fn texts() {
        assert_eq!(link_code("link AB12CD34"), Some("AB12CD34"));
        assert_eq!(link_code("/start x"), Some("x"));
        assert_eq!(link_code("hello there"), None);
        assert_eq!(search_query("search Anna"), Some("Anna"));
    }

    #[test]
    fn shared_contact() {
        let c = json!({
            "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith"},
            "phones": [{"phone": "+1 (940) 555-1234", "type": "CELL", "wa_id": "19405551234"}],
            "emails": [{"email": "john@example.com", "type": "WORK"}],
            "org": {"company": "Acme", "title": "CEO"},
        });
        let i = contact_input(&c, "whatsapp");
        assert_eq!(i.full_name, "John Smith");
        assert_eq!(i.phones[0].kind, "mobile");
        assert_eq!(i.emails[0].address, "john@example.com");
        assert_eq!(i.company, "Acme");
    }
}
