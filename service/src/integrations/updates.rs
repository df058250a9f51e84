//! `bot_updates`, the durable record of every accepted update: recorded by the webhooks before they
//! answer, claimed by the processor, its progress saved step by step, retried later on failure.

use super::*;

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
    /// Every scan of an image update's photo (JSON array, reading order); NULL on rows written
    /// before a photo could hold several cards: then `scan_id` is the only one. See [`BotUpdate::scans`].
    pub scan_ids: Option<String>,
    pub contact_id: Option<i64>,
    pub outcome: Option<String>,
    pub reply_text: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl BotUpdate {
    /// The scans the update's photo became (one per card, in reading order), once it was submitted.
    pub fn scans(&self) -> Option<Vec<i64>> {
        let listed = self.scan_ids.as_deref().and_then(|s| serde_json::from_str::<Vec<i64>>(s).ok());
        match listed {
            Some(ids) if !ids.is_empty() => Some(ids),
            _ => self.scan_id.map(|id| vec![id]),
        }
    }
}

const UPDATE_COLUMNS: &str =
    "id, integration, external_id, kind, payload, chat_id, user_id, status, attempts, scan_id, scan_ids, \
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
    /// The scans of the update's photo in reading order; the first is also kept as `scan_id`.
    pub scans: Option<Vec<i64>>,
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
    if let Some(ids) = p.scans.filter(|ids| !ids.is_empty()) {
        add("scan_id", ids[0].into());
        add("scan_ids", serde_json::to_string(&ids).unwrap_or_default().into());
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
