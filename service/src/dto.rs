//! Data shapes shared by every door (REST, Leptos server functions, bots) and by the browser.
//! Pure serde types: this module compiles to wasm without the `server` feature.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Kinds a phone or an e-mail can have.
pub const CONTACT_KINDS: [&str; 5] = ["mobile", "work", "fax", "home", "other"];

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Phone {
    pub kind: String,
    /// The number as typed or read from the card.
    pub number: String,
    /// E.164 form when the number could be parsed.
    pub e164: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Email {
    pub kind: String,
    pub address: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TagRef {
    pub id: i64,
    pub name: String,
    pub color: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupRef {
    pub id: i64,
    pub name: String,
}

/// A contact as every client sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: i64,
    pub uid: String,
    pub sequence_number: i64,
    pub prefix: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub full_name: String,
    pub company: String,
    pub position: String,
    pub department: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub website: String,
    pub address: String,
    pub notes: String,
    pub tags: Vec<TagRef>,
    pub groups: Vec<GroupRef>,
    pub source: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Whether the contact has a photo (`GET /api/v1/contacts/{id}/photo`); the bytes are never
    /// part of the contact.
    #[serde(default)]
    pub has_photo: bool,
}

/// A phone as a client sends it; `e164` is computed by the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PhoneInput {
    #[serde(default = "default_kind")]
    pub kind: String,
    pub number: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct EmailInput {
    #[serde(default = "default_kind")]
    pub kind: String,
    pub address: String,
}

fn default_kind() -> String {
    "work".into()
}

/// A tag or group named by a client: a plain name, or an object as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum NameRef {
    Name(String),
    Object { name: String },
}

impl NameRef {
    pub fn name(&self) -> &str {
        match self {
            NameRef::Name(n) | NameRef::Object { name: n } => n,
        }
    }
}

/// What a client sends to create or update a contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ContactInput {
    pub prefix: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    /// Derived from the name parts when left empty.
    pub full_name: String,
    pub company: String,
    pub position: String,
    pub department: String,
    pub phones: Vec<PhoneInput>,
    pub emails: Vec<EmailInput>,
    pub website: String,
    pub address: String,
    pub notes: String,
    pub tags: Vec<NameRef>,
    pub groups: Vec<NameRef>,
    /// manual | ocr | import | telegram | whatsapp; defaults to manual.
    pub source: Option<String>,
    /// Required on update: the version the client last saw.
    pub version: Option<i32>,
}

impl From<&Contact> for ContactInput {
    fn from(c: &Contact) -> Self {
        let mut input = ContactInput {
            phones: c.phones.iter().map(|p| PhoneInput { kind: p.kind.clone(), number: p.number.clone() }).collect(),
            emails: c.emails.iter().map(|e| EmailInput { kind: e.kind.clone(), address: e.address.clone() }).collect(),
            tags: c.tags.iter().map(|t| NameRef::Name(t.name.clone())).collect(),
            groups: c.groups.iter().map(|g| NameRef::Name(g.name.clone())).collect(),
            source: Some(c.source.clone()),
            version: Some(c.version),
            ..Default::default()
        };
        for f in ContactField::ALL {
            f.set(&mut input, f.of(c).to_string());
        }
        input
    }
}

/// Declares [`ContactField`] from the table below it: per field its variant, its name (the
/// field of [`Contact`] and [`ContactInput`], the JSON key and the database column) and the most
/// characters it may hold.
macro_rules! contact_fields {
    ($($variant:ident $name:ident $max:literal,)+) => {
        /// A single-value text field of a contact. The one list of them: merges, scan
        /// corrections, the history, imports, the API document and the forms go through it, so a
        /// new field is a line in the table below (plus the struct fields, the database column,
        /// and a label in the UI).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ContactField {
            $($variant,)+
        }

        impl ContactField {
            /// Every field, in the contact's order.
            pub const ALL: [ContactField; [$(stringify!($name)),+].len()] = [$(ContactField::$variant),+];

            /// The field's name: in JSON, in the database, in history entries and error messages.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ContactField::$variant => stringify!($name),)+
                }
            }

            /// The most characters the field may hold (as sent, before trimming).
            pub const fn max_len(self) -> usize {
                match self {
                    $(ContactField::$variant => $max,)+
                }
            }

            contact_fields!(@get [$($variant $name)+]
                /// The field's value in a contact.
                of(Contact, &Contact) -> &str);
            contact_fields!(@get [$($variant $name)+] of_mut(Contact, &mut Contact) -> &mut String);
            contact_fields!(@get [$($variant $name)+]
                /// The field's value in what a client sends.
                of_input(ContactInput, &ContactInput) -> &str);
            contact_fields!(@get [$($variant $name)+] of_input_mut(ContactInput, &mut ContactInput) -> &mut String);
        }
    };
    // An accessor: the field of `$Struct` (borrowed as `value` is).
    (@get [$($variant:ident $name:ident)+] $(#[$doc:meta])* $fn:ident($Struct:ident, $ty:ty) -> $ret:ty) => {
        $(#[$doc])*
        pub fn $fn(self, value: $ty) -> $ret {
            let $Struct { $($name,)+ .. } = value;
            match self {
                $(ContactField::$variant => $name,)+
            }
        }
    };
}

contact_fields! {
    Prefix prefix 40,
    FirstName first_name 200,
    MiddleName middle_name 200,
    LastName last_name 200,
    FullName full_name 400,
    Company company 300,
    Position position 300,
    Department department 300,
    Website website 2048,
    Address address 1000,
    Notes notes 20_000,
}

impl ContactField {
    /// The field called `name` ([`ContactField::name`]).
    pub fn parse(name: &str) -> Option<ContactField> {
        ContactField::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn set(self, i: &mut ContactInput, value: String) {
        *self.of_input_mut(i) = value;
    }

    /// Whether the card editor shows the field and a saved scan compares it with what was read
    /// (the card reading's [`SCAN_TEXT_FIELDS`]: not the full name, which the contact builds from
    /// its parts, nor the notes).
    pub fn scanned(self) -> bool {
        SCAN_TEXT_FIELDS.contains(&self.name())
    }
}

/// Query of the contact list. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ContactQuery {
    pub page: Option<u64>,
    pub limit: Option<u64>,
    pub q: Option<String>,
    /// Tag name.
    pub tag: Option<String>,
    /// Group name.
    pub group: Option<String>,
    /// Exact company name (case-insensitive).
    pub company: Option<String>,
    /// name | company | created_at | updated_at | sequence_number
    pub sort: Option<String>,
    /// asc | desc
    pub order: Option<String>,
    /// List the trash instead of live contacts.
    pub trash: Option<bool>,
    /// The page after the one this cursor (a page's `next`) was handed out with: read from the
    /// sort index at the cursor's place, as fast on the millionth contact as on the first, where
    /// `page` must walk past every row before it. Not with `page` or `before`.
    pub after: Option<String>,
    /// The page before the one this cursor (a page's `previous`) was handed out with.
    pub before: Option<String>,
}

/// The highest page number a list accepts (every paged list: contacts, duplicates, audit log).
/// With the largest page size the offset stays far inside the database's signed 64-bit range.
pub const MAX_PAGE: u64 = 1_000_000;
/// The longest contact list cursor (`after`, `before`) accepted, in characters: a name or company
/// of the longest allowed length, in JSON and base64, fits several times over.
pub const MAX_CURSOR: usize = 8192;
/// The largest page size of the contact and duplicate lists and the audit log.
pub const MAX_PAGE_SIZE: u64 = 200;
/// The largest number of hits the search box asks for.
pub const MAX_SEARCH_LIMIT: u64 = 50;

/// Checks a list's `page` (1..=[`MAX_PAGE`], default 1) and `limit` (1..=`max_limit`, default
/// `default_limit`); on error, the parameter's name and what is wrong with it. Out-of-range numbers
/// are refused, never clamped or wrapped, so no door can hand the database an overflowing offset.
pub fn check_paging(
    page: Option<u64>,
    limit: Option<u64>,
    default_limit: u64,
    max_limit: u64,
) -> Result<(u64, u64), (&'static str, String)> {
    let page = page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(("page", format!("must be an integer from 1 to {MAX_PAGE}")));
    }
    let limit = limit.unwrap_or(default_limit);
    if !(1..=max_limit).contains(&limit) {
        return Err(("limit", format!("must be an integer from 1 to {max_limit}")));
    }
    Ok((page, limit))
}

/// Sort keys of the contact list (`relevance` is the search rank when `q` is set, else `updated_at`).
pub const CONTACT_SORTS: [&str; 8] =
    ["name", "full_name", "company", "created_at", "updated_at", "sequence_number", "id", "relevance"];
/// Sort directions.
pub const SORT_ORDERS: [&str; 2] = ["asc", "desc"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
    pub pages: u64,
    /// Cursor of the next page (the contact list, when not ranked by a search): pass it as
    /// `after`. Absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Cursor of the previous page: pass it as `before`. Absent on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

impl<T> Page<T> {
    /// A page of a list that is paged by number only.
    pub fn numbered(items: Vec<T>, total: u64, page: u64, limit: u64) -> Self {
        Page { items, total, page, limit, pages: total.div_ceil(limit), next: None, previous: None }
    }
}

/// A short hit for the search box.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub id: i64,
    pub full_name: String,
    pub company: String,
    pub position: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// One entry of a contact's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub id: i64,
    pub action: String,
    pub user: Option<String>,
    pub changes: Vec<FieldChange>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub is_active: bool,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RegisterInput {
    pub username: String,
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LoginInput {
    /// Username or e-mail.
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Left out: unchanged. `null` is refused (the document says boolean).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "some_bool")]
    pub is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "some_bool")]
    pub is_admin: Option<bool>,
}

/// A field that may be left out but, when sent, must be a boolean (not `null`).
fn some_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    bool::deserialize(d).map(Some)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub contacts: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TagInput {
    pub name: String,
    /// `#rrggbb`; a colour is picked from the name when empty.
    pub color: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub contacts: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct GroupInput {
    pub name: String,
    pub description: String,
}

/// Columns of the contact table a user can choose from.
pub const CONTACT_COLUMNS: [&str; 9] =
    ["name", "company", "position", "department", "email", "phone", "tags", "groups", "updated_at"];

/// The columns shown when a user has not chosen.
pub fn default_columns() -> Vec<String> {
    ["name", "company", "position", "email", "phone", "tags"].iter().map(|s| s.to_string()).collect()
}

/// Review states of a duplicate pair.
pub const DUPLICATE_STATUSES: [&str; 4] = ["pending", "reviewed", "merged", "ignored"];

/// A contact drafted in an editor, a bot or an import, to be checked for duplicates before saving.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CheckDuplicatesInput {
    /// The draft: the same fields as for creating a contact.
    #[serde(flatten)]
    pub draft: ContactInput,
    /// When editing an existing contact: leave it out of the candidates.
    #[serde(default)]
    pub exclude_id: Option<i64>,
}

/// The short form of a contact shown beside a duplicate warning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ContactSummary {
    pub id: i64,
    pub full_name: String,
    pub company: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Evidence of one field behind a duplicate score: `score` is the field's similarity (0..1),
/// `weight` what it added to the total (negative = evidence against).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MatchField {
    pub field: String,
    pub score: f32,
    pub weight: f32,
}

/// An existing contact that looks like the draft: "looks like Anna Petrova, Acme, +7 916 …".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DuplicateCandidate {
    pub contact: ContactSummary,
    /// Match probability 0..1.
    pub score: f32,
    pub match_fields: Vec<MatchField>,
}

/// A stored pair of contacts that look like the same person, both shown in full.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DuplicatePair {
    pub id: i64,
    pub score: f32,
    pub match_fields: Vec<MatchField>,
    /// pending | reviewed | merged | ignored
    pub status: String,
    pub a: Contact,
    pub b: Contact,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Query of the duplicate list. Every field is optional; all statuses when `status` is absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DuplicateQuery {
    /// pending | reviewed | merged | ignored
    pub status: Option<String>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

/// The new review status of a pair: pending, reviewed or ignored (merged is set by a merge).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DuplicateStatusInput {
    pub status: String,
}

/// Which value a merged field takes: a contact's id (take that contact's value) or a typed value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum MergeFieldChoice {
    /// Take the value of this contact (one of `ids`).
    From(i64),
    /// Use this text (text fields only).
    Value(String),
}

/// Fields a merge can choose per contact: every [`ContactField`], then the phones and e-mails.
pub const MERGE_FIELDS: [&str; ContactField::ALL.len() + 2] = {
    let mut out = ["emails"; ContactField::ALL.len() + 2];
    let mut i = 0;
    while i < ContactField::ALL.len() {
        out[i] = ContactField::ALL[i].name();
        i += 1;
    }
    out[i] = "phones";
    out
};

/// `POST /api/v1/contacts/merge`: merge two or more contacts into one survivor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MergeInput {
    /// The contacts to merge (two or more, distinct).
    pub ids: Vec<i64>,
    /// The contact that survives (keeps its id); the most complete one when absent.
    pub survivor_id: Option<i64>,
    /// Per field (see `MERGE_FIELDS`): the contact whose value to keep, or a typed value. A field
    /// left out takes the most recently edited non-empty value.
    pub fields: std::collections::BTreeMap<String, MergeFieldChoice>,
    /// Keep every distinct phone of all contacts (the default) unless `fields.phones` names one.
    pub keep_all_phones: Option<bool>,
    /// Keep every distinct e-mail of all contacts (the default) unless `fields.emails` names one.
    pub keep_all_emails: Option<bool>,
    /// The `version` of each contact as the client last read it (`{"12": 3, …}`); required unless
    /// `dry_run`. A contact changed since gets 409 and nothing is merged.
    pub versions: std::collections::BTreeMap<i64, i32>,
    /// Only show what the merge would give; change nothing.
    pub dry_run: bool,
}

/// The result (or, for a dry run, the preview) of a merge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MergeResult {
    /// The merge record (to undo it); absent for a dry run.
    pub merge_id: Option<i64>,
    pub dry_run: bool,
    /// The survivor as it is (or would be) after the merge.
    pub survivor: Contact,
    /// The contacts marked as merged into the survivor.
    pub merged_ids: Vec<i64>,
    /// For each field, the contacts its value came from (empty for a typed value).
    pub sources: std::collections::BTreeMap<String, Vec<i64>>,
}

/// A merge as listed for a contact (to show and undo it from the contact's history).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MergeRecord {
    pub id: i64,
    pub survivor_id: i64,
    pub merged_ids: Vec<i64>,
    /// Who merged.
    pub user: Option<String>,
    pub created_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
    /// Whether an undo would be accepted now; when not, `undo_blocked` says why.
    pub can_undo: bool,
    pub undo_blocked: Option<String>,
}

/// How a contact stands in merges: merged into another one, and the merges it survived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ContactMerges {
    /// Set when this contact was merged into another one (it is hidden from lists and search).
    pub merged_into: Option<ContactSummary>,
    /// Merges that involved this contact, newest first.
    pub merges: Vec<MergeRecord>,
}

/// A full duplicate scan: a background job with progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DuplicateScan {
    pub id: i64,
    /// queued | running | done | failed
    pub status: String,
    /// keys | normalize | block | score | record | done
    pub phase: String,
    /// Steps done of `total` in the current phase.
    pub done: i64,
    pub total: i64,
    /// Overall progress 0..1 for a progress bar.
    pub progress: f32,
    pub contacts: i64,
    pub keys_backfilled: i64,
    pub pairs_found: i64,
    pub pairs_new: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The range a duplicate `threshold` may be set to: below it nearly every blocked candidate would
/// be recorded as a pair (0.0 recorded all of them); 1.0 records none.
pub const THRESHOLD_RANGE: (f32, f32) = (0.3, 1.0);
/// The range of `candidate_threshold` (the editor's "looks like …" warning; it writes nothing, and
/// the candidates are bounded by the blocking lookups whatever it is).
pub const CANDIDATE_THRESHOLD_RANGE: (f32, f32) = (0.0, 1.0);
/// The largest magnitude of a field weight (log-odds).
pub const MAX_WEIGHT: f32 = 50.0;

/// Duplicate matching settings an administrator can change: the thresholds and the per-field
/// weights (log-odds of the evidence each field adds; see the `dedup` crate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DuplicateSettings {
    /// A pair is recorded (check-on-create and scan) when its score is at least this (0.3..1).
    #[cfg_attr(feature = "server", schema(minimum = 0.3, maximum = 1.0))]
    pub threshold: f32,
    /// The editor warns "looks like …" from this score on (0..1).
    #[cfg_attr(feature = "server", schema(minimum = 0.0, maximum = 1.0))]
    pub candidate_threshold: f32,
    /// Field weights by name (`name_exact`, `email_match`, `phone_match`, …), each within ±[`MAX_WEIGHT`]
    /// (checked on the number as sent, before it is stored as a 32-bit float).
    #[serde(deserialize_with = "bounded_weights")]
    pub weights: std::collections::BTreeMap<String, f32>,
}

/// Reads the weights as sent (64-bit) and refuses one beyond ±[`MAX_WEIGHT`] before rounding it to
/// 32 bits, where 50.00000000000001 would become 50 and slip through.
fn bounded_weights<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, f32>, D::Error> {
    let raw = std::collections::BTreeMap::<String, f64>::deserialize(d)?;
    let max = MAX_WEIGHT as f64;
    raw.into_iter()
        .map(|(name, w)| {
            if w.is_finite() && w.abs() <= max {
                Ok((name, w as f32))
            } else {
                Err(serde::de::Error::custom(format!("weights.{name} must be a number between -{max} and {max}")))
            }
        })
        .collect()
}

// What a card reading holds, typed once for the reader, the services, the editor and the bots.
pub use card_reading::{CardReading, ScanFields, ScanLine, ScanPhone, ScanValue, SCAN_TEXT_FIELDS};

/// Where a person's cards are read (their setting: `server`, `device` or `offline`, see
/// `accounts::prefs::SCAN_READERS`) and what the on-device reader needs from the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanReaderInfo {
    pub mode: String,
    /// The parse hints a server reading would use (`ocr::ParseHints` as JSON: the team's default
    /// region, learnt company names and job-title words), for reading on the device the same way.
    pub hints: String,
}

/// A card scan as the editor sees it: status, the lines with their boxes and the parsed fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ScanDraft {
    pub id: i64,
    /// queued | processing | done | failed
    pub status: String,
    pub engine: Option<String>,
    pub error: Option<String>,
    /// front | back
    pub side: String,
    /// Set once the scan was saved as (part of) a contact.
    pub contact_id: Option<i64>,
    /// Size of the (EXIF-oriented) image the boxes refer to; 0 when unknown.
    pub width: u32,
    pub height: u32,
    pub lines: Vec<ScanLine>,
    pub fields: ScanFields,
    pub total_ms: Option<u64>,
}

/// Save a read card as a new contact (`source = ocr`): the contact as the user checked it, the
/// front scan and optionally the back scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SaveScanInput {
    pub contact: ContactInput,
    #[serde(default)]
    pub back_scan_id: Option<i64>,
}

/// One field of a saved card: what was read and what was saved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct FieldCorrection {
    pub field: String,
    pub read: String,
    pub saved: String,
}

impl FieldCorrection {
    pub fn changed(&self) -> bool {
        self.read.trim() != self.saved.trim()
    }
}

/// The answer to saving a scan: the new contact and, per field, what was read versus saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SavedScan {
    pub contact: Contact,
    pub fields: Vec<FieldCorrection>,
}

/// A card image attached to a contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CardImage {
    pub scan_id: i64,
    /// front | back
    pub side: String,
    /// Where the browser fetches it: `/api/v1/scans/{id}/image`.
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields_are_the_structs_fields_by_their_json_names() {
        let mut input = ContactInput::default();
        for f in ContactField::ALL {
            f.set(&mut input, format!("{} value", f.name()));
        }
        let json = serde_json::to_value(&input).unwrap();
        for f in ContactField::ALL {
            assert_eq!(json[f.name()], format!("{} value", f.name()));
            assert_eq!(ContactField::parse(f.name()), Some(f));
        }
        let back: ContactInput = serde_json::from_value(json).unwrap();
        assert_eq!(back, input);
        assert_eq!(ContactField::parse("phones"), None);
        // `ALL` is in the declaration order: a field's place in it is `field as usize`.
        assert!(ContactField::ALL.iter().enumerate().all(|(i, f)| *f as usize == i));
    }

    #[test]
    fn merge_fields_are_the_text_fields_then_phones_and_emails() {
        let names: Vec<&str> = ContactField::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(MERGE_FIELDS[..names.len()], names[..]);
        assert_eq!(MERGE_FIELDS[names.len()..], ["phones", "emails"]);
    }

    /// A card reading names its fields by string: each of them must be a contact field, and it
    /// must read every contact field but the notes.
    #[test]
    fn a_card_reading_knows_the_contact_fields() {
        for name in SCAN_TEXT_FIELDS {
            assert!(ContactField::parse(name).is_some_and(|f| f.scanned()), "{name}");
        }
        let scanned: Vec<&str> = ContactField::ALL.into_iter().filter(|f| f.scanned()).map(|f| f.name()).collect();
        assert_eq!(scanned, SCAN_TEXT_FIELDS, "the editor's order is the contact's");
        let fields: serde_json::Map<String, serde_json::Value> =
            ContactField::ALL.iter().map(|f| (f.name().to_string(), f.name().into())).collect();
        let read: card_reading::ReadFields = serde_json::from_value(fields.into()).unwrap();
        let draft = read.for_editor(0);
        for f in ContactField::ALL {
            let expected = (f != ContactField::Notes).then_some(f.name());
            assert_eq!(read.text(f.name()), expected);
            assert_eq!(draft.get(f.name()).map(|v| v.value.as_str()), expected);
        }
    }
}
