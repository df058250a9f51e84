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
        ContactInput {
            prefix: c.prefix.clone(),
            first_name: c.first_name.clone(),
            middle_name: c.middle_name.clone(),
            last_name: c.last_name.clone(),
            full_name: c.full_name.clone(),
            company: c.company.clone(),
            position: c.position.clone(),
            department: c.department.clone(),
            phones: c.phones.iter().map(|p| PhoneInput { kind: p.kind.clone(), number: p.number.clone() }).collect(),
            emails: c.emails.iter().map(|e| EmailInput { kind: e.kind.clone(), address: e.address.clone() }).collect(),
            website: c.website.clone(),
            address: c.address.clone(),
            notes: c.notes.clone(),
            tags: c.tags.iter().map(|t| NameRef::Name(t.name.clone())).collect(),
            groups: c.groups.iter().map(|g| NameRef::Name(g.name.clone())).collect(),
            source: Some(c.source.clone()),
            version: Some(c.version),
        }
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
    pub pages: u64,
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
pub struct UserPatch {
    pub is_active: Option<bool>,
    pub is_admin: Option<bool>,
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
