//! The shapes of imports and exports, shared by the REST API, the server functions and the UI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What to do with a row that matches a stored contact (or an earlier row of the same file).
pub const ON_DUPLICATE: [&str; 3] = ["skip", "merge", "create"];
/// The formats a file may be forced to (else detected from its content).
pub const IMPORT_FORMATS: [&str; 4] = ["vcf", "csv", "xlsx", "jsonl"];
/// What an import does with a row.
pub const ROW_ACTIONS: [&str; 4] = ["create", "update", "skip", "invalid"];
/// Imports can be undone for this many days after they finish.
pub const UNDO_DAYS: i64 = 30;

fn default_on_duplicate() -> String {
    "skip".into()
}

/// How to import a file (the query of `POST /api/v1/imports`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// Preview: work out what each row would do, write nothing (apply it later with
    /// `POST /api/v1/imports/{id}/apply`).
    #[serde(default)]
    pub dry_run: bool,
    /// skip | merge | create: what a row that matches a stored contact does. `merge` fills in what
    /// the stored contact lacks and never removes a value it has.
    #[serde(default = "default_on_duplicate")]
    pub on_duplicate: String,
    /// A tag put on every contact the import creates or updates (e.g. "Imported 2026-12-06").
    #[serde(default)]
    pub tag: Option<String>,
    /// vcf | csv | xlsx | jsonl; detected from the content when absent.
    #[serde(default)]
    pub format: Option<String>,
    /// Import nothing if any row is invalid.
    #[serde(default)]
    pub all_or_nothing: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            dry_run: false,
            on_duplicate: default_on_duplicate(),
            tag: None,
            format: None,
            all_or_nothing: false,
        }
    }
}

/// A person's choice for one row of a preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RowOverride {
    #[serde(deserialize_with = "whole_number")]
    pub line: i64,
    /// skip | merge | create
    pub action: String,
}

/// An integer as JSON Schema counts one: `12` or `12.0` (a number with no fraction), within i64.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = serde_json::Number::deserialize(d)?;
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!("{v} is not a whole number in range"))),
    }
}

/// Applying a preview (`POST /api/v1/imports/{id}/apply`); anything left out keeps the preview's choice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportApply {
    /// Preview again with these choices (say, after changing the column mapping) instead of
    /// importing.
    #[serde(default)]
    pub dry_run: Option<bool>,
    #[serde(default)]
    pub on_duplicate: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub all_or_nothing: Option<bool>,
    /// Per-row choices that override `on_duplicate` for those rows.
    #[serde(default)]
    pub overrides: Vec<RowOverride>,
    /// The CSV/XLSX column mapping (field ids, one per column: `first_name`, `phone:mobile`,
    /// `ignore`…); remembered for files with the same header row.
    #[serde(default)]
    pub mapping: Option<Vec<String>>,
}

/// One row of an import: what happened (or, in a preview, would happen).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ImportRow {
    /// Where the row starts in the file (1-based; the sheet row for XLSX).
    pub line: i64,
    /// create | update | skip | invalid
    pub action: String,
    /// The contact created or updated.
    pub contact_id: Option<i64>,
    /// The stored contact the row matched (a duplicate, or the same UID).
    pub match_id: Option<i64>,
    /// The row's name as read.
    pub name: String,
    /// Why: the duplicate and its score, what a merge adds, or what is wrong with the row.
    pub detail: String,
}

/// An import job with its progress, counts and one page of its rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ImportJob {
    pub id: i64,
    /// queued | running | done | failed | undone
    pub status: String,
    /// A preview: nothing was written.
    pub dry_run: bool,
    pub on_duplicate: String,
    pub all_or_nothing: bool,
    pub tag: String,
    pub file_name: String,
    pub file_bytes: i64,
    /// vcf | csv | xlsx | jsonl (empty until read)
    pub format: String,
    /// The text encoding detected (utf-8, utf-16le, windows-1251 …; empty for XLSX).
    pub encoding: String,
    /// CSV/XLSX: the header row and the field each column is read as (field ids).
    pub headers: Vec<String>,
    pub mapping: Vec<String>,
    /// google | google-legacy | outlook | cardcrm | custom (CSV/XLSX)
    pub profile: String,
    /// Rows in the file, and rows processed so far.
    pub total: i64,
    pub done: i64,
    /// 0.0 … 1.0
    pub progress: f32,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub invalid: i64,
    pub error: Option<String>,
    /// Whether `POST …/undo` would work now (finished, written, within 30 days, not undone).
    pub can_undo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub undone_at: Option<DateTime<Utc>>,
    /// One page of rows (`page`, `limit`, optionally only one `action`).
    pub rows: Vec<ImportRow>,
    /// Rows matching the row filter, across all pages.
    pub rows_total: u64,
    pub page: u64,
    pub limit: u64,
}

/// An import in a list (no rows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub id: i64,
    pub status: String,
    pub dry_run: bool,
    pub file_name: String,
    pub format: String,
    pub tag: String,
    pub total: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub invalid: i64,
    pub can_undo: bool,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What an undo did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ImportUndo {
    pub id: i64,
    /// Contacts the import created, now in the trash.
    pub trashed: u64,
    /// Contacts the import updated, now as they were before.
    pub reverted: u64,
    /// What was left as it is, and why (edited since, merged into another, already in the trash).
    pub kept: Vec<String>,
}

/// The formats an export writes.
pub const EXPORT_FORMATS: [&str; 4] = ["vcf", "csv", "xlsx", "jsonl"];
/// Most ids an export names explicitly (a selection in the list).
pub const MAX_EXPORT_IDS: usize = 10_000;

/// What to export (the query of `GET /api/v1/export`): the contact list's filters, or a selection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// vcf (default) | csv | xlsx | jsonl
    pub format: Option<String>,
    /// vCard version: 4.0 (default) or 3.0 (older phones, Outlook).
    pub version: Option<String>,
    /// Search text, as in the contact list (its best 1,000 matches).
    pub q: Option<String>,
    pub tag: Option<String>,
    pub group: Option<String>,
    pub company: Option<String>,
    /// Selected contacts: ids separated by commas (at most 10,000).
    pub ids: Option<String>,
}
