//! Shapes the profile page and the admin status of the Telegram / WhatsApp intake share between
//! the server and the browser (compiled without the `server` feature too).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every integration setting: (environment variable, is a secret). A stored value is used when the
/// variable is not set in the environment.
pub const SETTINGS: &[(&str, bool)] = &[
    ("TELEGRAM_BOT_TOKEN", true),
    ("TELEGRAM_WEBHOOK_SECRET", true),
    ("TELEGRAM_API_BASE", false),
    ("TELEGRAM_BOT_USERNAME", false),
    ("WHATSAPP_VERIFY_TOKEN", true),
    ("WHATSAPP_APP_SECRET", true),
    ("WHATSAPP_ACCESS_TOKEN", true),
    ("WHATSAPP_PHONE_NUMBER_ID", false),
    ("WHATSAPP_API_BASE", false),
    ("CARDCRM_PUBLIC_URL", false),
    // Google Cloud Vision OCR engine: card images are sent to Google only when the key is set and
    // `google` is in the OCR engine order.
    ("GOOGLE_VISION_API_KEY", true),
    ("GOOGLE_VISION_API_BASE", false),
    ("GOOGLE_VISION_TIMEOUT", false),
    // Instead of an API key: a service account's key file (JSON), and where its token is fetched.
    ("GOOGLE_VISION_CREDENTIALS", true),
    ("GOOGLE_VISION_TOKEN_URL", false),
];

/// A chat or number linked to a cardcrm account: what it sends becomes that user's contacts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub id: i64,
    /// `telegram` or `whatsapp`.
    pub integration: String,
    /// Telegram user id, or the WhatsApp number in E.164 without `+`.
    pub external_id: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

/// A one-time link code, shown once (only its hash is stored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkCode {
    pub code: String,
    pub integration: String,
    /// What to send to the bot: `/start CODE` (Telegram) or `link CODE` (WhatsApp).
    pub command: String,
    /// `https://t.me/<bot>?start=CODE` when the bot's username is known.
    pub bot_link: Option<String>,
    /// The WhatsApp number this code will link (E.164 without `+`).
    pub number: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in user's view: their links and whether each integration is usable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MyIntegrations {
    pub accounts: Vec<LinkedAccount>,
    /// A WhatsApp number set in the profile and waiting for its `link CODE` message.
    pub pending_whatsapp: Option<String>,
    pub telegram_enabled: bool,
    pub whatsapp_enabled: bool,
    pub bot_username: Option<String>,
}

/// One integration setting as an administrator sees it; secrets are masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntegrationSetting {
    /// The environment variable name, e.g. `TELEGRAM_BOT_TOKEN`.
    pub name: String,
    pub secret: bool,
    /// `environment` (wins), `stored`, or `unset`.
    pub source: String,
    /// The value, masked for secrets (`••••••1a2b`); `None` when unset.
    pub value: Option<String>,
}

/// Integration status for administrators.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationStatus {
    pub telegram_configured: bool,
    pub whatsapp_configured: bool,
    /// A Google Cloud Vision API key is set (and a stored API base is acceptable): the `google` OCR
    /// engine may be put in the engine order.
    #[serde(default)]
    pub google_vision_configured: bool,
    pub settings: Vec<IntegrationSetting>,
    /// Updates accepted and not finished yet (waiting for OCR, or retrying an API call).
    pub pending_updates: u64,
    /// Updates given up on after repeated failures.
    pub failed_updates: u64,
    pub linked_accounts: u64,
}
