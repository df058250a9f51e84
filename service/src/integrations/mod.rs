//! Telegram and WhatsApp intake, the parts without HTTP: integration settings (stored, masked when
//! shown, the environment wins), one-time link codes (only their SHA-256 is stored), linked accounts
//! (a Telegram user or a WhatsApp number → a cardcrm user), and `bot_updates`, the durable record of
//! every accepted update. The webhooks (server crate) write a row before they answer 200; a
//! background processor works each row through its steps (download → scan → contact → reply),
//! saving each step, so a retry after an API failure never repeats a finished step.
//!
//! One file per concern: `configure.rs` (checking and storing a setting, the status page),
//! `links.rs` (link codes, linked accounts), `updates.rs` (the `bot_updates` queue) and `replies.rs`
//! (a card sent to a bot, the chat replies); their public items are named here.

mod configure;
mod links;
mod replies;
mod updates;
pub use configure::{set_setting, status, store_setting, valid_telegram_secret};
pub use links::{
    actor_for, create_link_code, linked_user, mine, redeem_link_code, unlink, whatsapp_number, RedeemError,
};
pub use replies::{
    attach_scan, describe, input_from_fields, reply_for, save_card, scan_state, search_reply, CardOutcome, ScanRow,
};
pub use updates::{
    claim_due, is_recorded, kind, record_update, retry_later, save_progress, updates, BotUpdate, NewUpdate, Progress,
    DONE, FAILED, PENDING,
};

use crate::dto::{self, ContactField, ContactInput, ContactSummary, EmailInput, PhoneInput, CONTACT_KINDS};
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

/// A `COUNT(*) AS n` row.
#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

#[cfg(test)]
mod tests {
    use super::links::{code_hash, new_code};
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
        let fields: card_reading::ReadFields = serde_json::from_value(fields).expect("stored fields");
        let input = input_from_fields(&fields, "telegram");
        assert_eq!(input.emails[0].kind, "work");
        assert!(input.website.is_empty() && input.tags.is_empty() && input.version.is_none());
        assert_eq!(input.full_name, "Avery Smith");
        assert_eq!(input.phones[0].kind, "other");
        assert_eq!(input.emails[0].address, "avery@contoso.com");
        assert_eq!(input.source.as_deref(), Some("telegram"));
        let text = describe(&input);
        assert!(text.contains("Name: Avery Smith") && text.contains("E-mail: avery@contoso.com"), "{text}");
    }
}
