//! Bot doors: the Telegram and WhatsApp webhooks, the Bot API / Graph API client, and the
//! background processor that turns recorded updates into scans, contacts and replies.
//!
//! Delivery guarantees. A webhook checks the secret (Telegram) or the body signature (WhatsApp)
//! before it parses anything, then records each update in `bot_updates` (unique per update id /
//! message id) and only then answers 200. If recording fails it answers 500 and the platform
//! delivers the update again; a redelivered update finds its row and is acknowledged without
//! doing anything twice. The work itself (download, OCR, contact, reply) happens afterwards in the
//! [`Processor`], which saves every finished step on the row: when the Bot API or Graph API times
//! out or answers 5xx/429, the row is released with a growing delay and retried, starting from the
//! first unfinished step — the image is not scanned twice, the contact not created twice, and a
//! reply that was delivered is not sent again. We do not answer the webhook with a non-2xx to get
//! a retry: Telegram and Meta slow down (and Meta eventually disables) webhooks that fail, and a
//! retry there would only repeat what our own queue already does.

pub mod telegram;
pub mod whatsapp;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use service::integrations::{self as integ, kind, BotUpdate, CardOutcome, Progress};
use service::platform::background::Task;
use service::platform::integration_config::{self, IntegrationConfig};
use service::{scans, AppError, Services};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Notify;

/// Largest image downloaded from a chat (the same limit as an upload).
pub const MAX_DOWNLOAD_BYTES: usize = scans::MAX_UPLOAD_BYTES;
/// Telegram and WhatsApp cut longer messages.
const MAX_REPLY_CHARS: usize = 4000;

/// `/webhooks/telegram` and `/webhooks/whatsapp`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/telegram", post(telegram::webhook))
        .route("/webhooks/whatsapp", get(whatsapp::verify).post(whatsapp::webhook))
}

/// Wakes the processors of this process when an update was recorded.
fn wake() -> &'static Notify {
    static WAKE: OnceLock<Notify> = OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

/// Records an update durably (idempotent by `key`) and wakes the processors: "accepted" for a new
/// update, "replayed" for one already recorded.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    svc: &Services,
    integration: &str,
    key: &str,
    kind: &str,
    payload: Value,
    chat: &str,
    user_id: Option<i64>,
    reply_text: Option<String>,
    outcome: Option<&str>,
) -> service::AppResult<&'static str> {
    let update =
        integ::NewUpdate { integration, external_id: key, kind, payload, chat_id: chat, user_id, reply_text, outcome };
    if !integ::record_update(&svc.db, update).await? {
        return Ok("replayed");
    }
    wake().notify_waiters();
    Ok("accepted")
}

/// Counts an update by integration and what became of it (each update is counted once: at intake
/// when it is refused, replayed or ignored, else when the processor finishes it).
pub(crate) fn count(integration: &str, outcome: &str) {
    metrics::counter!("bot_updates_total", "integration" => integration.to_string(), "outcome" => outcome.to_string())
        .increment(1);
}

/// Why a call to the Bot API / Graph API did not work.
#[derive(Debug)]
pub enum BotError {
    /// Timeout, connection failure, 5xx, 429, or our own database: try again later.
    Transient(String),
    /// The API refused (4xx) or the content is unusable: retrying will not help.
    Permanent(String),
    /// The file is larger than [`MAX_DOWNLOAD_BYTES`].
    TooLarge(String),
}

impl std::fmt::Display for BotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BotError::Transient(m) | BotError::Permanent(m) | BotError::TooLarge(m) => f.write_str(m),
        }
    }
}

impl From<AppError> for BotError {
    fn from(e: AppError) -> Self {
        BotError::Transient(match e {
            AppError::Internal(m) => m,
            other => other.to_string(),
        })
    }
}

impl From<reqwest::Error> for BotError {
    fn from(e: reqwest::Error) -> Self {
        // Never keep the URL: the Telegram token is part of it.
        let e = e.without_url();
        if e.is_timeout() {
            BotError::Transient(format!("timed out: {e}"))
        } else {
            BotError::Transient(e.to_string())
        }
    }
}

/// An HTTP client with timeouts (connect and whole request) that connects to public addresses only
/// (see [`service::platform::outbound::PublicOnly`]).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(service::platform::outbound::PublicOnly))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .user_agent(concat!("cardcrm/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// The client for best-effort messages sent from a webhook (refusals to unlinked chats).
fn default_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| http_client(Duration::from_secs(15)))
}

/// Maps an API answer's status: 2xx passes, 429 and 5xx are transient, other codes permanent.
async fn check_status(resp: reqwest::Response, what: &str) -> Result<reqwest::Response, BotError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body: String = resp.text().await.unwrap_or_default().chars().take(300).collect();
    let msg = format!("{what} answered {status}: {body}");
    if status.is_server_error() || status.as_u16() == 429 {
        Err(BotError::Transient(msg))
    } else {
        Err(BotError::Permanent(msg))
    }
}

/// Reads a body, refusing more than `limit` bytes (by `Content-Length` and while streaming).
async fn download_limited(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, BotError> {
    let too_large = || BotError::TooLarge(format!("the file is larger than {} MB", limit / (1024 * 1024)));
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_REPLY_CHARS {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(MAX_REPLY_CHARS - 1).collect();
        t.push('…');
        t
    }
}

/// Sends a reply to a chat on either platform.
async fn send(
    client: &reqwest::Client,
    cfg: &IntegrationConfig,
    integration: &str,
    chat: &str,
    text: &str,
) -> Result<(), BotError> {
    let text = truncate(text);
    if integration == integ::TELEGRAM {
        telegram::send_message(client, cfg, chat, &text).await
    } else {
        whatsapp::send_message(client, cfg, chat, &text).await
    }
}

/// Sends a message in the background without recording anything (for chats that are not linked).
pub(crate) fn send_best_effort(cfg: &IntegrationConfig, integration: &'static str, chat: String, text: String) {
    let cfg = cfg.clone();
    tokio::spawn(async move {
        if let Err(e) = send(default_client(), &cfg, integration, &chat, &text).await {
            tracing::warn!(integration, error = %e, "could not send a message to an unlinked chat");
        }
    });
}

/// The answer to `/help` and to messages the bot does not understand.
pub fn help_text(integration: &str) -> String {
    let (search, file) = if integration == integ::TELEGRAM {
        ("/search NAME", "or the image as a file")
    } else {
        ("search NAME", "or share a contact")
    };
    format!(
        "Send me a photo of a business card ({file}): I read it, save the contact to cardcrm and tell you \
         what I found, or that the person is already there. Several cards laid apart on a table in one photo \
         become one contact each.\n{search} — find contacts\n/help — this message"
    )
}

/// Said to a chat that is not linked to a cardcrm account.
pub fn refusal_text(integration: &str) -> String {
    let how = if integration == integ::TELEGRAM {
        "open your profile in cardcrm, create a Telegram link code and send /start CODE here"
    } else {
        "set your WhatsApp number in your cardcrm profile and send the link CODE it shows from this number"
    };
    format!("Sorry, this chat is not linked to a cardcrm account, so I cannot accept cards here. To link it, {how}.")
}

/// Knobs of the [`Processor`]; the defaults suit production, tests shorten them.
#[derive(Clone, Debug)]
pub struct ProcessorOptions {
    /// Timeout of one Bot API / Graph API call.
    pub http_timeout: Duration,
    /// First retry delay after a failed call; doubles each time, at most ten minutes.
    pub retry_base: Duration,
    /// Attempts before an update is given up (`failed`).
    pub max_attempts: i32,
    /// How often an update waiting for its scan looks again, and the idle poll.
    pub poll: Duration,
}

impl Default for ProcessorOptions {
    fn default() -> Self {
        ProcessorOptions {
            http_timeout: Duration::from_secs(30),
            retry_base: Duration::from_secs(5),
            max_attempts: 10,
            poll: Duration::from_millis(500),
        }
    }
}

/// Works recorded updates through their steps; one per process (several processes may share
/// the database: each update is leased by one at a time).
pub struct Processor(Task);

struct Ctx {
    svc: Services,
    client: reqwest::Client,
    opts: ProcessorOptions,
}

/// How far one round on an update got.
enum Step {
    Finished(String),
    /// Its scan is still being read.
    Waiting,
}

impl Processor {
    pub fn start(svc: Services, opts: ProcessorOptions) -> Processor {
        let ctx = Ctx { svc, client: http_client(opts.http_timeout), opts };
        let lease = (ctx.opts.http_timeout * 4).max(Duration::from_secs(60));
        Processor(Task::spawn(|mut stopped| async move {
            loop {
                if *stopped.borrow() {
                    break;
                }
                match integ::claim_due(&ctx.svc, 8, lease).await {
                    Ok(batch) if !batch.is_empty() => {
                        for u in batch {
                            ctx.handle(u).await;
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot claim bot updates"),
                }
                tokio::select! {
                    _ = wake().notified() => {}
                    _ = tokio::time::sleep(ctx.opts.poll) => {}
                    r = stopped.changed() => if r.is_err() { break },
                }
            }
        }))
    }

    /// Stops after the update in hand.
    pub async fn shutdown(self) {
        self.0.shutdown().await
    }
}

impl Ctx {
    async fn handle(&self, u: BotUpdate) {
        let (id, integration) = (u.id, u.integration.clone());
        let result = match integration_config::config(&self.svc).await {
            Ok(cfg) => self.run(&cfg, &u).await,
            Err(e) => Err(e.into()),
        };
        let saved = match result {
            Ok(Step::Finished(outcome)) => {
                count(&integration, &outcome);
                Ok(())
            }
            Ok(Step::Waiting) => integ::retry_later(&self.svc, id, self.opts.poll, None).await,
            Err(BotError::Transient(e)) if u.attempts + 1 < self.opts.max_attempts => {
                let delay = self
                    .opts
                    .retry_base
                    .saturating_mul(1u32 << u.attempts.clamp(0, 16) as u32)
                    .min(Duration::from_secs(600));
                tracing::warn!(update = id, integration = %integration, attempt = u.attempts + 1, retry_in_ms = delay.as_millis() as u64, error = %e, "bot update will be retried");
                metrics::counter!("bot_update_retries_total", "integration" => integration.clone()).increment(1);
                integ::retry_later(&self.svc, id, delay, Some(&e)).await
            }
            Err(e) => {
                tracing::error!(update = id, integration = %integration, error = %e, "bot update failed");
                count(&integration, "failed");
                let p = Progress { status: Some(integ::FAILED), last_error: Some(e.to_string()), ..Default::default() };
                integ::save_progress(&self.svc, id, p).await
            }
        };
        if let Err(e) = saved {
            // The lease runs out and the update is picked up again.
            tracing::error!(update = id, error = %e, "cannot save the state of a bot update");
        }
    }

    /// One round: every step not done yet, each saved before the next.
    async fn run(&self, cfg: &IntegrationConfig, u: &BotUpdate) -> Result<Step, BotError> {
        let svc = &self.svc;
        let mut outcome = u.outcome.clone().unwrap_or_else(|| "replied".into());
        let reply = match &u.reply_text {
            Some(r) => r.clone(),
            None => {
                let actor = match u.user_id {
                    Some(uid) => integ::actor_for(svc, uid).await?,
                    None => None,
                };
                let Some(actor) = actor else {
                    // The account was deactivated after the update came in: nothing is saved.
                    let p =
                        Progress { status: Some(integ::DONE), outcome: Some("unlinked".into()), ..Default::default() };
                    integ::save_progress(svc, u.id, p).await?;
                    return Ok(Step::Finished("unlinked".into()));
                };
                let payload: Value = serde_json::from_str(&u.payload).unwrap_or_default();
                let mut progress = Progress::default();
                let text = match u.kind.as_str() {
                    kind::IMAGE => match self.image(cfg, u, &actor, &payload, &mut progress).await? {
                        None => return Ok(Step::Waiting),
                        Some((text, o)) => {
                            outcome = o;
                            text
                        }
                    },
                    kind::CONTACTS => {
                        let (text, o, first) = self.contacts(cfg, u, &actor, &payload).await?;
                        progress.contact_id = first;
                        outcome = o;
                        text
                    }
                    kind::SEARCH => {
                        outcome = "search".into();
                        integ::search_reply(svc, &actor, cfg, payload["query"].as_str().unwrap_or_default()).await?
                    }
                    _ => help_text(&u.integration),
                };
                progress.outcome = Some(outcome.clone());
                progress.reply_text = Some(text.clone());
                integ::save_progress(svc, u.id, progress).await?;
                text
            }
        };
        if u.replied_at.is_none() {
            match send(&self.client, cfg, &u.integration, &u.chat_id, &reply).await {
                Ok(()) => {}
                Err(BotError::Transient(e)) => return Err(BotError::Transient(e)),
                Err(e) => {
                    // The chat cannot be written to (blocked the bot, unknown chat): the work is saved.
                    tracing::warn!(update = u.id, error = %e, "reply not delivered");
                    let p = Progress {
                        status: Some(integ::DONE),
                        last_error: Some(format!("reply not delivered: {e}")),
                        ..Default::default()
                    };
                    integ::save_progress(svc, u.id, p).await?;
                    return Ok(Step::Finished("reply_failed".into()));
                }
            }
        }
        let p = Progress { replied: u.replied_at.is_none(), status: Some(integ::DONE), ..Default::default() };
        integ::save_progress(svc, u.id, p).await?;
        Ok(Step::Finished(outcome))
    }

    /// Download → scans (one per card in the photo) → contacts. `None` while a scan is being read.
    async fn image(
        &self,
        cfg: &IntegrationConfig,
        u: &BotUpdate,
        actor: &service::Actor,
        payload: &Value,
        progress: &mut Progress,
    ) -> Result<Option<(String, String)>, BotError> {
        let svc = &self.svc;
        let scan_ids = match u.scans() {
            Some(ids) => ids,
            None => {
                let media = payload["media_id"].as_str().unwrap_or_default();
                let declared = payload["size"].as_u64();
                let fetched = if u.integration == integ::TELEGRAM {
                    telegram::download(&self.client, cfg, media, declared).await
                } else {
                    whatsapp::download(&self.client, cfg, media).await
                };
                let bytes = match fetched {
                    Ok(b) => b,
                    Err(BotError::TooLarge(m)) => {
                        return Ok(Some((
                            format!("This image is too large for me: {m}. Send a smaller photo."),
                            "too_large".into(),
                        )))
                    }
                    Err(BotError::Permanent(m)) => {
                        return Ok(Some((format!("I could not download this image ({m})."), "download_failed".into())))
                    }
                    Err(e) => return Err(e),
                };
                let name = payload["file_name"].as_str();
                match scans::submit_photo(svc, actor, bytes, name, scans::CardsInPhoto::Auto).await {
                    Ok(ticket) => {
                        let p = Progress { scans: Some(ticket.cards.clone()), ..Default::default() };
                        integ::save_progress(svc, u.id, p).await?;
                        ticket.cards
                    }
                    Err(AppError::PayloadTooLarge(m)) => {
                        return Ok(Some((format!("This image is too large for me: {m}."), "too_large".into())))
                    }
                    Err(AppError::TooMany(m)) => {
                        // The per-user cap on waiting scans (the same as for uploads): said, not retried.
                        return Ok(Some((
                            format!(
                                "Sorry, I cannot take this card right now: {m}. Please send it again in a few minutes."
                            ),
                            "queue_full".into(),
                        )));
                    }
                    Err(e @ (AppError::Validation { .. } | AppError::BadRequest(_))) => {
                        return Ok(Some((
                            format!("This is not an image I can read ({e}). Send a photo of a business card."),
                            "not_image".into(),
                        )))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        // Every card is read before any is saved: one reply for the whole photo.
        let mut states = Vec::with_capacity(scan_ids.len());
        for id in &scan_ids {
            let scan = integ::scan_state(svc, *id).await?;
            if scan.as_ref().is_some_and(|s| s.status != scans::DONE && s.status != scans::FAILED) {
                return Ok(None);
            }
            states.push((*id, scan));
        }
        let several = states.len() > 1;
        let mut replies = Vec::with_capacity(states.len());
        let mut labels = Vec::with_capacity(states.len());
        for (scan_id, scan) in states {
            let (text, label, created) = self.card(cfg, u, actor, scan_id, scan, several).await?;
            if let Some(c) = created {
                progress.contact_id.get_or_insert(c);
            }
            replies.push(text);
            labels.push(label);
        }
        if !several {
            return Ok(replies.pop().zip(labels.pop().map(str::to_string)));
        }
        let mut text = format!("I found {} cards in this photo:", replies.len());
        for (i, r) in replies.iter().enumerate() {
            text.push_str(&format!("\n\n{}. {r}", i + 1));
        }
        // One update is counted once (`bot_updates_total`): by what happened to the most of it —
        // any contact saved, else any duplicate found, else why nothing was.
        let label = ["contact_created", "duplicate", "unreadable", "scan_failed"]
            .into_iter()
            .find(|l| labels.contains(l))
            .unwrap_or("scan_failed");
        Ok(Some((text, label.into())))
    }

    /// One card of a photo, once its scan is read (`scan` None: deleted meanwhile): saved unless
    /// it was before (`card_scans.contact_id`, set as soon as the contact exists, so a retry after
    /// a crash does not save it twice) or the person is known. The reply, the outcome label and
    /// the contact saved now or before.
    async fn card(
        &self,
        cfg: &IntegrationConfig,
        u: &BotUpdate,
        actor: &service::Actor,
        scan_id: i64,
        scan: Option<integ::ScanRow>,
        several: bool,
    ) -> Result<(String, &'static str, Option<i64>), BotError> {
        let svc = &self.svc;
        let what = if several { "card" } else { "image" };
        let Some(scan) = scan else {
            return Ok((format!("The scan of this {what} was deleted before it was read."), "scan_failed", None));
        };
        if scan.status == scans::FAILED {
            let why = scan.error.unwrap_or_default();
            let link = cfg.link(&format!("/scan?id={scan_id}"));
            return Ok((
                format!("I could not read this {what} ({why}).\nType the card in cardcrm: {link}"),
                "scan_failed",
                None,
            ));
        }
        let fields = scans::stored_reading(&scan).map(|r| r.fields).unwrap_or_default();
        let input = integ::input_from_fields(&fields, &u.integration);
        let outcome = match scan.contact_id {
            Some(id) => match service::contacts::get(svc, actor, id).await {
                // Saved by an earlier round that did not get to its reply.
                Ok(contact) => CardOutcome::Created { contact, similar: None },
                Err(AppError::NotFound(_)) => {
                    let text = format!("This card was saved before as contact #{id}, which is gone now.");
                    return Ok((text, "contact_created", Some(id)));
                }
                Err(e) => return Err(e.into()),
            },
            None => {
                let outcome = integ::save_card(svc, actor, input.clone()).await?;
                if let CardOutcome::Created { contact, .. } = &outcome {
                    integ::attach_scan(svc, scan_id, contact.id).await?;
                }
                outcome
            }
        };
        let created = match &outcome {
            CardOutcome::Created { contact, .. } => Some(contact.id),
            _ => None,
        };
        Ok((integ::reply_for(cfg, &outcome, &input, Some(scan_id)), outcome.label(), created))
    }

    /// WhatsApp shared contacts: each through the same check-on-create.
    async fn contacts(
        &self,
        cfg: &IntegrationConfig,
        u: &BotUpdate,
        actor: &service::Actor,
        payload: &Value,
    ) -> Result<(String, String, Option<i64>), BotError> {
        let mut texts = Vec::new();
        let mut first = None;
        let mut label = "unreadable".to_string();
        for c in payload["contacts"].as_array().into_iter().flatten().take(20) {
            let input = whatsapp::contact_input(c, &u.integration);
            let outcome = integ::save_card(&self.svc, actor, input.clone()).await?;
            if let CardOutcome::Created { contact, .. } = &outcome {
                first.get_or_insert(contact.id);
            }
            if label != "contact_created" {
                label = outcome.label().into();
            }
            texts.push(integ::reply_for(cfg, &outcome, &input, None).replace("Read from the card:", "Shared contact:"));
        }
        if texts.is_empty() {
            return Ok(("The shared contact was empty.".into(), "unreadable".into(), None));
        }
        Ok((texts.join("\n\n"), label, first))
    }
}
