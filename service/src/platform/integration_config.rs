//! The integration settings in force: each value from the environment, else from the
//! `integration_settings` table (Telegram, WhatsApp, Google Cloud Vision, the public URL).
//!
//! Read by the bots (`crate::integrations`), the Google Vision OCR engine (`crate::scans::vision`)
//! and the CardDAV setup (`crate::transfer::carddav`), so it sits under all three; checking and
//! storing a setting is `crate::integrations` (it knows each setting's rule).

use crate::platform::db::statement as stmt;
use crate::platform::outbound::{env_value, outbound_url_rule, Refused};
use crate::{AppResult, Services};
use sea_orm::{ConnectionTrait, FromQueryResult};

/// Where Google Cloud Vision is asked when `GOOGLE_VISION_API_BASE` is not set.
pub const DEFAULT_GOOGLE_VISION_API_BASE: &str = "https://vision.googleapis.com";
pub const DEFAULT_TELEGRAM_API_BASE: &str = "https://api.telegram.org";
pub const DEFAULT_WHATSAPP_API_BASE: &str = "https://graph.facebook.com/v21.0";

/// The resolved configuration: each value from the environment, else from the stored settings.
#[derive(Clone, Default)]
pub struct IntegrationConfig {
    pub telegram_bot_token: Option<String>,
    pub telegram_webhook_secret: Option<String>,
    pub telegram_api_base: String,
    /// The API base was set by the operator in the environment (it may point anywhere); a stored
    /// one must follow [`outbound_url_rule`].
    pub telegram_api_base_from_env: bool,
    pub telegram_bot_username: Option<String>,
    pub whatsapp_verify_token: Option<String>,
    pub whatsapp_app_secret: Option<String>,
    pub whatsapp_access_token: Option<String>,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_api_base: String,
    /// As `telegram_api_base_from_env`.
    pub whatsapp_api_base_from_env: bool,
    /// Where links in replies point (`https://crm.example.com`), without a trailing slash.
    pub public_url: Option<String>,
    /// Google Cloud Vision OCR engine (see [`crate::scans::vision`]).
    pub google_vision_api_key: Option<String>,
    pub google_vision_api_base: String,
    /// As `telegram_api_base_from_env`.
    pub google_vision_api_base_from_env: bool,
    /// `GOOGLE_VISION_TIMEOUT` as written (checked by [`crate::scans::vision::parse_timeout`]).
    pub google_vision_timeout: Option<String>,
    /// A service-account key file's JSON (used when there is no API key).
    pub google_vision_credentials: Option<String>,
    pub google_vision_credentials_from_env: bool,
    /// Overrides the key file's `token_uri`.
    pub google_vision_token_url: Option<String>,
    pub google_vision_token_url_from_env: bool,
}

impl std::fmt::Debug for IntegrationConfig {
    // Never prints a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationConfig")
            .field("telegram_configured", &self.telegram_configured())
            .field("whatsapp_configured", &self.whatsapp_configured())
            .field(
                "google_vision_configured",
                &(self.google_vision_api_key.is_some() || self.google_vision_credentials.is_some()),
            )
            .finish_non_exhaustive()
    }
}

impl IntegrationConfig {
    pub fn telegram_configured(&self) -> bool {
        self.telegram_bot_token.is_some()
    }
    pub fn whatsapp_configured(&self) -> bool {
        self.whatsapp_access_token.is_some() && self.whatsapp_phone_number_id.is_some()
    }
    /// The Telegram Bot API base to send the token to, re-checked at each use: a stored value
    /// saved before the rule existed (or written around it) is refused, not used.
    pub fn telegram_api(&self) -> Result<&str, StoredBaseRefused> {
        checked_base("TELEGRAM_API_BASE", &self.telegram_api_base, self.telegram_api_base_from_env)
    }

    /// The Graph API base, checked like [`IntegrationConfig::telegram_api`].
    pub fn whatsapp_api(&self) -> Result<&str, StoredBaseRefused> {
        checked_base("WHATSAPP_API_BASE", &self.whatsapp_api_base, self.whatsapp_api_base_from_env)
    }

    /// The Google Vision API base the card images (and the API key) go to, checked like
    /// [`IntegrationConfig::telegram_api`].
    pub fn google_vision_api(&self) -> Result<&str, StoredBaseRefused> {
        checked_base("GOOGLE_VISION_API_BASE", &self.google_vision_api_base, self.google_vision_api_base_from_env)
    }

    /// A link into the web app (`/contacts/12`), absolute when the public URL is known.
    pub fn link(&self, path: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{base}{path}"),
            None => path.to_string(),
        }
    }
}

fn checked_base<'a>(name: &'static str, base: &'a str, from_env: bool) -> Result<&'a str, StoredBaseRefused> {
    if from_env {
        return Ok(base);
    }
    outbound_url_rule(base).map(|_| base).map_err(|why| StoredBaseRefused { name, why })
}

/// A stored API base that breaks the outbound URL rule: it is not used (see
/// [`IntegrationConfig::telegram_api`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {name} {why}; it is not used: fix it in the integration settings")]
pub struct StoredBaseRefused {
    /// The setting, e.g. `TELEGRAM_API_BASE`.
    pub name: &'static str,
    pub why: Refused,
}

/// A stored setting (the environment not applied).
#[derive(FromQueryResult)]
pub(crate) struct SettingRow {
    pub(crate) name: String,
    pub(crate) value: String,
}

pub(crate) async fn stored_settings<C: ConnectionTrait>(db: &C) -> AppResult<Vec<SettingRow>> {
    let s = stmt(db.get_database_backend(), "SELECT name, value FROM integration_settings", vec![]);
    Ok(SettingRow::find_by_statement(s).all(db).await?)
}

/// The configuration in force now (environment over stored settings).
pub async fn config(svc: &Services) -> AppResult<IntegrationConfig> {
    let stored = stored_settings(&svc.db).await?;
    let get = |name: &str| {
        env_value(name).or_else(|| {
            stored.iter().find(|r| r.name == name).map(|r| r.value.trim().to_string()).filter(|v| !v.is_empty())
        })
    };
    let base =
        |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_string()).trim_end_matches('/').to_string();
    Ok(IntegrationConfig {
        telegram_bot_token: get("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret: get("TELEGRAM_WEBHOOK_SECRET"),
        telegram_api_base: base("TELEGRAM_API_BASE", DEFAULT_TELEGRAM_API_BASE),
        telegram_api_base_from_env: env_value("TELEGRAM_API_BASE").is_some(),
        telegram_bot_username: get("TELEGRAM_BOT_USERNAME").map(|u| u.trim_start_matches('@').to_string()),
        whatsapp_verify_token: get("WHATSAPP_VERIFY_TOKEN"),
        whatsapp_app_secret: get("WHATSAPP_APP_SECRET"),
        whatsapp_access_token: get("WHATSAPP_ACCESS_TOKEN"),
        whatsapp_phone_number_id: get("WHATSAPP_PHONE_NUMBER_ID"),
        whatsapp_api_base: base("WHATSAPP_API_BASE", DEFAULT_WHATSAPP_API_BASE),
        whatsapp_api_base_from_env: env_value("WHATSAPP_API_BASE").is_some(),
        public_url: get("CARDCRM_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
        google_vision_api_key: get("GOOGLE_VISION_API_KEY"),
        google_vision_api_base: base("GOOGLE_VISION_API_BASE", DEFAULT_GOOGLE_VISION_API_BASE),
        google_vision_api_base_from_env: env_value("GOOGLE_VISION_API_BASE").is_some(),
        google_vision_timeout: get("GOOGLE_VISION_TIMEOUT"),
        google_vision_credentials: get("GOOGLE_VISION_CREDENTIALS"),
        google_vision_credentials_from_env: env_value("GOOGLE_VISION_CREDENTIALS").is_some(),
        google_vision_token_url: get("GOOGLE_VISION_TOKEN_URL"),
        google_vision_token_url_from_env: env_value("GOOGLE_VISION_TOKEN_URL").is_some(),
    })
}

/// A secret as it may be shown: only its last four characters, and only when it is long.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n >= 16 {
        let tail: String = value.chars().skip(n - 4).collect();
        format!("••••••{tail}")
    } else {
        "••••••".into()
    }
}
