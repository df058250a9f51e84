//! Data shapes of the admin panel (audit log, settings, system status), shared by the REST API,
//! the server functions and the browser. Pure serde types (compiles to wasm).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Filters of the audit log. Every field is optional; dates are `YYYY-MM-DD` (UTC, inclusive).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AuditQuery {
    pub page: Option<u64>,
    pub limit: Option<u64>,
    /// Username of who made the change.
    pub user: Option<String>,
    pub contact_id: Option<i64>,
    /// e.g. `create`, `update`, `delete`, `restore`, `register`, `merge`.
    pub action: Option<String>,
    /// e.g. `contact`, `user`, `setting`, `duplicate_pair`.
    pub entity: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One audit-log row as the admin panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub user_id: Option<i64>,
    pub user: Option<String>,
    pub contact_id: Option<i64>,
    pub entity: String,
    pub action: String,
    /// The stored diff (JSON).
    pub diff: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The settings an administrator edits on the settings page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AdminSettings {
    /// Two-letter region national phone numbers are read in (e.g. `US`, `DE`, `RU`).
    pub default_phone_region: String,
    /// OCR engines in the order they are tried, e.g. `["paddle", "tesseract"]`.
    pub ocr_engine_order: Vec<String>,
    /// Engines this build has (read-only).
    #[serde(default)]
    pub available_engines: Vec<String>,
    /// Run a full duplicate scan every night (scheduled maintenance; off by default).
    #[serde(default)]
    pub nightly_duplicate_scan: bool,
}

/// Input of a password reset by an administrator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    pub password: String,
}

/// A health check of one dependency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Check {
    /// `ok`, `down`, `missing` or `not configured`.
    pub status: String,
    pub detail: String,
}

/// What the status page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SystemStatus {
    pub version: String,
    pub database: Check,
    pub redis: Check,
    pub models: Check,
    /// Scans waiting (`queued`) and being read (`processing`).
    pub scans_queued: u64,
    pub scans_processing: u64,
    pub scans_failed: u64,
    pub contacts: u64,
    pub users: u64,
    pub users_inactive: u64,
    /// Duplicate pairs by status.
    pub duplicate_pairs: Vec<(String, u64)>,
    /// Scheduled maintenance: each job and its last run (on any instance).
    #[serde(default)]
    pub maintenance: Vec<MaintenanceJob>,
    /// How often the maintenance jobs run, in seconds (`CARDCRM_MAINTENANCE_INTERVAL`; the
    /// duplicate scan runs nightly when enabled).
    #[serde(default)]
    pub maintenance_interval_secs: u64,
}

/// One scheduled maintenance job and its last run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MaintenanceJob {
    /// `refresh_tokens`, `link_codes`, `bot_updates`, `scan_images` or `duplicate_scan`.
    pub job: String,
    /// What the job does.
    pub description: String,
    /// False for the nightly duplicate scan while its setting is off.
    pub enabled: bool,
    pub last: Option<MaintenanceRun>,
}

/// One run of a maintenance job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MaintenanceRun {
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Which server instance ran it (host name and process id).
    pub instance: String,
    /// `running`, `ok`, `failed` or `skipped`.
    pub outcome: String,
    /// How many rows and files it removed.
    pub removed: i64,
    pub detail: String,
}
