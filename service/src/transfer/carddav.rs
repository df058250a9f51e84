//! CardDAV's service side (RFC 6352, with `sync-collection` from RFC 6578): the team's live
//! contacts as one address book of vCard resources, what changed since a sync token, and writes
//! from a phone turned into ordinary contact writes. The HTTP and XML live in `server/src/dav/`.
//!
//! **Resources.** Every live contact (not in the trash, not merged into another) is one resource.
//! Its name is the one a client chose when it created the contact with `PUT` (kept in
//! `dav_names`, so the href the client wrote stays valid — vdirsyncer and iOS rely on that), else
//! `<uid>.vcf`. The card is `transfer::contact_to_record` written by `interchange` as vCard 3.0
//! (4.0 when asked), `UID` = the contact's uid (a client's own UID is kept as the uid when it
//! creates a contact).
//!
//! **Change numbers.** `dav_changes` holds, per contact, the number of its latest change, written
//! by database triggers on `contacts`, `contact_tags`, `contact_group_members`, and tag/group
//! renames (see `migration/src/m20261206_000017_carddav.rs`). Triggers rather than calls in the
//! service, because a write path that forgot the call would leave phones silently stale; this
//! way creates, edits, trash/restore, merges and their undo, tag edits and an import's bulk
//! inserts all move the number without knowing about CardDAV. The numbers are committed in
//! order (SQLite has one writer; on PostgreSQL the triggers take an advisory lock held to the
//! commit), so "everything with a number above t" is exactly what changed since token t.
//!
//! **Address books.** Every user has the team's book ([`Book::Team`]: every live contact) and one
//! book per group they chose to have on their phone ([`Book::Group`]: the live members of that
//! group; the choice is per user, see `dav_books`). A contact in a group is the same resource, with
//! the same name and ETag, in the team's book and in the group's. Writes in a group book: a new
//! card becomes a contact in that group; a `DELETE` takes the contact out of the group (it stays in
//! the team's book); an edit is an edit of the contact.
//!
//! * The sync token is `<SYNC_TOKEN_PREFIX><n>` (n = the highest number seen); the CTag is `n`.
//! * A resource's ETag is `"<contact id>-<n>"`: strong, and new after every change of the card.
//! * `sync-collection` from token t lists the contacts numbered above t in number order, at most
//!   [`SYNC_PAGE`] a time: live ones as changed, the rest (trashed, merged into another, gone)
//!   as removed. A merge therefore shows as "loser removed, survivor changed" in one step, never
//!   two copies. Past a page the answer is truncated with a token at its last number (RFC 6578
//!   §3.6) and the client asks again. The first sync (no token) lists live contacts only.
//!
//! Reading (members, cards, changes) is here; `carddav/writes.rs` is PUT and DELETE,
//! `carddav/query.rs` the `addressbook-query` filters.

mod query;
mod writes;
pub use query::{filter_matches, query, Filter, MatchType, PropFilter, TextMatch};
pub use writes::{delete, put, Conditions, Put};

use crate::dto::{Contact, NameRef};
use crate::transfer::{contact_to_record, record_to_input};
use crate::{contacts, Actor, AppError, AppResult, Services};
use entity::contact;
use interchange::ContactRecord;
pub use interchange::VcardVersion;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement, Value};

/// Sync tokens are URIs (RFC 6578 §3.2); this is the fixed part before the change number.
pub const SYNC_TOKEN_PREFIX: &str = "urn:cardcrm:sync:";
/// Most changes reported in one `sync-collection` answer; more → a truncated answer.
pub const SYNC_PAGE: u64 = 500;
/// Most hrefs one `addressbook-multiget` may name.
pub const MULTIGET_MAX: usize = 1000;
/// Most cards one `addressbook-query` answers with; more → a truncated answer.
pub const QUERY_MAX: usize = 1000;
/// Largest vCard a client may `PUT` (a photo included): room for the largest photo cardcrm keeps
/// (5 MiB, a third more as base64, folded), so a card a phone was given can always be sent back.
pub const MAX_CARD_BYTES: usize = 8 * 1024 * 1024;
/// Longest resource name or client UID kept.
pub const MAX_NAME_CHARS: usize = 255;

/// Which address book a request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Book {
    /// The team's live contacts.
    Team,
    /// The live members of one group (by id).
    Group(i64),
}

impl Book {
    /// The extra condition on `contacts c` (appended after the other conditions) and its value.
    fn member_sql(self) -> (&'static str, Option<Value>) {
        match self {
            Book::Team => ("", None),
            Book::Group(id) => (
                " AND EXISTS (SELECT 1 FROM contact_group_members gm WHERE gm.contact_id = c.id AND gm.group_id = ?)",
                Some(id.into()),
            ),
        }
    }
}

/// A resource of the address book as listed: which contact, under what name, at what version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub contact_id: i64,
    /// The resource name (the last path segment, not percent-encoded).
    pub name: String,
    /// The ETag, quotes included.
    pub etag: String,
}

/// A resource with its vCard text.
#[derive(Clone, Debug)]
pub struct Card {
    pub member: Member,
    pub vcard: String,
    pub record: ContactRecord,
}

/// One entry of a `sync-collection` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Created or changed since the token: still a live resource.
    Changed(Member),
    /// Gone since the token (trash, merged into another, deleted): its name.
    Removed(String),
}

#[derive(Clone, Debug)]
pub struct SyncPage {
    pub changes: Vec<Change>,
    /// The token to send next time.
    pub token: i64,
    /// More changes wait: ask again with `token`.
    pub truncated: bool,
}

/// What went wrong, in the terms a CardDAV answer needs (beyond the service's own errors).
#[derive(Debug)]
pub enum DavError {
    App(AppError),
    /// `If-Match` / `If-None-Match` did not hold: 412.
    PreconditionFailed(String),
    /// Another resource already has this UID (`CARDDAV:no-uid-conflict`): its name.
    UidConflict(String),
    /// The body is not one usable vCard (`CARDDAV:valid-address-data`).
    BadCard(String),
    /// The sync token is not one this server gave (`DAV:valid-sync-token`).
    InvalidSyncToken,
}

impl From<AppError> for DavError {
    fn from(e: AppError) -> Self {
        DavError::App(e)
    }
}

impl From<sea_orm::DbErr> for DavError {
    fn from(e: sea_orm::DbErr) -> Self {
        DavError::App(e.into())
    }
}

pub type DavResult<T> = Result<T, DavError>;

/// The vCard version a client asked for (`address-data` `version` or `Accept`), 3.0 by default:
/// every CardDAV client reads 3.0 (RFC 6352 requires it), not all read 4.0.
pub fn version_for(asked: Option<&str>) -> VcardVersion {
    match asked.map(str::trim) {
        Some(v) if v.starts_with("4") => VcardVersion::V4,
        _ => VcardVersion::V3,
    }
}

fn stmt(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    crate::platform::db::statement(backend, sql, values)
}

fn etag(contact_id: i64, seq: i64) -> String {
    format!("\"{contact_id}-{seq}\"")
}

fn default_name(uid: &str) -> String {
    format!("{uid}.vcf")
}

/// The sync token for a change number.
pub fn sync_token(n: i64) -> String {
    format!("{SYNC_TOKEN_PREFIX}{n}")
}

/// The change number of a sync token this server gave; `None` for anything else.
pub fn parse_sync_token(token: &str) -> Option<i64> {
    token.trim().strip_prefix(SYNC_TOKEN_PREFIX)?.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// The address book's current change number (its CTag and sync token).
pub async fn current(svc: &Services) -> AppResult<i64> {
    let backend = svc.db.get_database_backend();
    let row = svc.db.query_one_raw(stmt(backend, "SELECT COALESCE(MAX(seq), 0) FROM dav_changes", vec![])).await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

const MEMBER_SQL: &str = "SELECT c.id, c.uid, n.name, COALESCE(d.seq, 0) FROM contacts c \
     LEFT JOIN dav_changes d ON d.contact_id = c.id LEFT JOIN dav_names n ON n.contact_id = c.id";

fn member_from(r: &sea_orm::QueryResult) -> AppResult<Member> {
    let id: i64 = r.try_get_by_index(0)?;
    let uid: String = r.try_get_by_index(1)?;
    let name: Option<String> = r.try_get_by_index(2)?;
    let seq: i64 = r.try_get_by_index(3)?;
    Ok(Member { contact_id: id, name: name.unwrap_or_else(|| default_name(&uid)), etag: etag(id, seq) })
}

/// Every resource of a book (a `Depth: 1` PROPFIND): id, name and ETag only, one query.
pub async fn members(svc: &Services, book: Book) -> AppResult<Vec<Member>> {
    let backend = svc.db.get_database_backend();
    let (in_book, value) = book.member_sql();
    let sql = format!("{MEMBER_SQL} WHERE c.deleted_at IS NULL AND c.merged_into_id IS NULL{in_book} ORDER BY c.id");
    let rows = svc.db.query_all_raw(stmt(backend, &sql, value.into_iter().collect())).await?;
    rows.iter().map(member_from).collect()
}

/// The contact a resource name stands for, live or not: its custom name, else `<uid>.vcf` of a
/// contact that has no custom name.
async fn resolve<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<Option<(Member, bool)>> {
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let live = "(c.deleted_at IS NULL AND c.merged_into_id IS NULL)";
    let sql = format!(
        "SELECT c.id, c.uid, n.name, COALESCE(d.seq, 0), {live} FROM contacts c \
         LEFT JOIN dav_changes d ON d.contact_id = c.id LEFT JOIN dav_names n ON n.contact_id = c.id \
         WHERE n.name = ?"
    );
    let mut row = db.query_one_raw(stmt(backend, &sql, vec![name.into()])).await?;
    if row.is_none() {
        if let Some(uid) = name.strip_suffix(".vcf").filter(|u| !u.is_empty()) {
            let sql = format!(
                "SELECT c.id, c.uid, n.name, COALESCE(d.seq, 0), {live} FROM contacts c \
                 LEFT JOIN dav_changes d ON d.contact_id = c.id LEFT JOIN dav_names n ON n.contact_id = c.id \
                 WHERE c.uid = ? AND n.name IS NULL"
            );
            row = db.query_one_raw(stmt(backend, &sql, vec![uid.into()])).await?;
        }
    }
    let Some(r) = row else { return Ok(None) };
    let alive: bool = match r.try_get_by_index::<bool>(4) {
        Ok(b) => b,
        Err(_) => r.try_get_by_index::<i64>(4)? != 0,
    };
    Ok(Some((member_from(&r)?, alive)))
}

/// A live resource of a book by name.
pub async fn member(svc: &Services, book: Book, name: &str) -> AppResult<Option<Member>> {
    match resolve(&svc.db, name).await? {
        Some((m, true)) if in_book(&svc.db, book, m.contact_id).await? => Ok(Some(m)),
        _ => Ok(None),
    }
}

/// Whether a contact belongs to a book (its liveness aside).
async fn in_book<C: ConnectionTrait>(db: &C, book: Book, contact_id: i64) -> AppResult<bool> {
    let Book::Group(group_id) = book else { return Ok(true) };
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(stmt(
            backend,
            "SELECT 1 FROM contact_group_members WHERE contact_id = ? AND group_id = ?",
            vec![contact_id.into(), group_id.into()],
        ))
        .await?;
    Ok(row.is_some())
}

fn render(
    c: &Contact,
    photo: Option<crate::contacts::photos::Photo>,
    version: VcardVersion,
) -> (ContactRecord, String) {
    let mut record = contact_to_record(c);
    record.photo = photo.map(|p| interchange::Photo { mime: p.media_type, bytes: p.data });
    let text = interchange::card_to_string(&record, version);
    (record, text)
}

/// The photos of those of `contacts` that have one, as phones get them (one query; see
/// `photos::load_for_phones`).
async fn photos_of<'a>(
    svc: &Services,
    contacts: impl Iterator<Item = &'a Contact>,
) -> AppResult<std::collections::HashMap<i64, crate::contacts::photos::Photo>> {
    let ids: Vec<i64> = contacts.filter(|c| c.has_photo).map(|c| c.id).collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    crate::contacts::photos::load_for_phones(&svc.db, &ids).await
}

/// Live resources of a book by name, two queries per 500 names (custom names, then `<uid>.vcf`).
async fn members_named(
    svc: &Services,
    book: Book,
    names: &[String],
) -> AppResult<std::collections::HashMap<String, Member>> {
    let backend = svc.db.get_database_backend();
    let (in_book, book_value) = book.member_sql();
    let live = format!("c.deleted_at IS NULL AND c.merged_into_id IS NULL{in_book}");
    let mut out = std::collections::HashMap::new();
    for chunk in names.chunks(500) {
        let chunk: Vec<&String> =
            chunk.iter().filter(|n| !n.is_empty() && n.chars().count() <= MAX_NAME_CHARS).collect();
        if chunk.is_empty() {
            continue;
        }
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("{MEMBER_SQL} WHERE n.name IN ({marks}) AND {live}");
        let mut values: Vec<Value> = chunk.iter().map(|n| n.as_str().into()).collect();
        values.extend(book_value.clone());
        for r in svc.db.query_all_raw(stmt(backend, &sql, values)).await? {
            let m = member_from(&r)?;
            out.insert(m.name.clone(), m);
        }
        let uids: Vec<&str> =
            chunk.iter().filter(|n| !out.contains_key(n.as_str())).filter_map(|n| n.strip_suffix(".vcf")).collect();
        if uids.is_empty() {
            continue;
        }
        let marks = vec!["?"; uids.len()].join(", ");
        let sql = format!("{MEMBER_SQL} WHERE c.uid IN ({marks}) AND n.name IS NULL AND {live}");
        let mut values: Vec<Value> = uids.iter().map(|u| (*u).into()).collect();
        values.extend(book_value.clone());
        for r in svc.db.query_all_raw(stmt(backend, &sql, values)).await? {
            let m = member_from(&r)?;
            out.insert(m.name.clone(), m);
        }
    }
    Ok(out)
}

/// The cards of a book's resources by name, in the order asked; `None` for a name that is not one.
pub async fn cards(
    svc: &Services,
    book: Book,
    names: &[String],
    version: VcardVersion,
) -> AppResult<Vec<(String, Option<Card>)>> {
    let names = &names[..names.len().min(MULTIGET_MAX)];
    let by_name = members_named(svc, book, names).await?;
    let found: Vec<(String, Option<Member>)> = names.iter().map(|n| (n.clone(), by_name.get(n).cloned())).collect();
    let ids: Vec<i64> = found.iter().filter_map(|(_, m)| m.as_ref().map(|m| m.contact_id)).collect();
    let loaded: std::collections::HashMap<i64, Contact> =
        load(svc, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut photos = photos_of(svc, loaded.values()).await?;
    Ok(found
        .into_iter()
        .map(|(n, m)| {
            let card = m.and_then(|m| {
                loaded.get(&m.contact_id).map(|c| {
                    let (record, vcard) = render(c, photos.remove(&c.id), version);
                    Card { member: m, vcard, record }
                })
            });
            (n, card)
        })
        .collect())
}

async fn load(svc: &Services, ids: &[i64]) -> AppResult<Vec<Contact>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = contact::Entity::find().filter(contact::Column::Id.is_in(chunk.to_vec())).all(&svc.db).await?;
        out.extend(contacts::load_many(&svc.db, rows).await?);
    }
    Ok(out)
}

/// One card by name (GET).
pub async fn card(svc: &Services, book: Book, name: &str, version: VcardVersion) -> AppResult<Option<Card>> {
    Ok(cards(svc, book, &[name.to_string()], version).await?.pop().and_then(|(_, c)| c))
}

/// What changed in a book since `token` (`None`: the first sync, every live resource), at most
/// `limit` (capped at [`SYNC_PAGE`]) entries. A token above the current number was not given by
/// this server (or the database was replaced): [`DavError::InvalidSyncToken`], and the client
/// starts over. The numbers are the team's, so a group book's token moves with every change; its
/// answer holds the changed contacts that were ever in the group (`dav_group_seen`): members as
/// changed, the ones that left (or were trashed or merged away) as removed.
pub async fn changes(svc: &Services, book: Book, token: Option<i64>, limit: Option<u64>) -> DavResult<SyncPage> {
    let now = current(svc).await?;
    let from = token.unwrap_or(0);
    if from > now {
        return Err(DavError::InvalidSyncToken);
    }
    let limit = limit.unwrap_or(SYNC_PAGE).clamp(1, SYNC_PAGE);
    let backend = svc.db.get_database_backend();
    let (in_book, book_value) = book.member_sql();
    let live = format!("c.deleted_at IS NULL AND c.merged_into_id IS NULL{in_book}");
    let only_live = if token.is_none() { format!(" AND {live}") } else { String::new() };
    // A group's book: only contacts that were ever in the group (dav_group_seen, kept by triggers).
    let seen = match book {
        Book::Team => "",
        Book::Group(_) => {
            " AND EXISTS (SELECT 1 FROM dav_group_seen s WHERE s.contact_id = d.contact_id AND s.group_id = ?)"
        }
    };
    let sql = format!(
        "SELECT d.contact_id, c.uid, n.name, d.seq, ({live}) \
         FROM dav_changes d JOIN contacts c ON c.id = d.contact_id \
         LEFT JOIN dav_names n ON n.contact_id = d.contact_id \
         WHERE d.seq > ?{seen}{only_live} ORDER BY d.seq LIMIT ?"
    );
    let mut values: Vec<Value> = book_value.iter().cloned().collect();
    values.push(from.into());
    values.extend(book_value.iter().cloned());
    if token.is_none() {
        values.extend(book_value.iter().cloned());
    }
    values.push(((limit + 1) as i64).into());
    let rows = svc.db.query_all_raw(stmt(backend, &sql, values)).await?;
    let truncated = rows.len() as u64 > limit;
    let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
    let mut last = from;
    for r in rows.iter().take(limit as usize) {
        let m = member_from(r)?;
        let seq: i64 = r.try_get_by_index(3)?;
        let alive: bool = match r.try_get_by_index::<bool>(4) {
            Ok(b) => b,
            Err(_) => r.try_get_by_index::<i64>(4)? != 0,
        };
        last = seq;
        changes.push(if alive { Change::Changed(m) } else { Change::Removed(m.name) });
    }
    // Not truncated: the token is the number read before the rows, which is at least the last
    // row's (a change committed between the two reads has a higher number and comes next time).
    let token = if truncated { last } else { now.max(last) };
    Ok(SyncPage { changes, token, truncated })
}

/// What the profile page shows for setting up a phone: the username and the URLs, made from
/// `CARDCRM_PUBLIC_URL` when it is set, else from the address the page was requested at.
pub async fn setup(svc: &Services, actor: &Actor, origin: Option<&str>) -> AppResult<crate::dav_dto::DavSetup> {
    let base = crate::platform::integration_config::config(svc)
        .await?
        .public_url
        .or_else(|| origin.map(|o| o.trim_end_matches('/').to_string()))
        .unwrap_or_default();
    let user: String = actor
        .username
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._~@".contains(c) {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect();
    let home = format!("{base}/dav/addressbooks/{user}/");
    Ok(crate::dav_dto::DavSetup {
        username: actor.username.clone(),
        server_url: format!("{base}/dav/"),
        addressbook_url: format!("{home}{}/", crate::transfer::dav_books::segment(Book::Team)),
        books: crate::transfer::dav_books::books(svc, actor, &home).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::writes::etag_matches;
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_strangers() {
        assert_eq!(parse_sync_token(&sync_token(42)), Some(42));
        assert_eq!(parse_sync_token("http://example.com/sync/1"), None);
        assert_eq!(parse_sync_token("urn:cardcrm:sync:-1"), None);
        assert_eq!(parse_sync_token("urn:cardcrm:sync:x"), None);
    }

    #[test]
    fn etags_match_lists_and_stars() {
        assert!(etag_matches("\"1-2\"", "\"1-2\""));
        assert!(etag_matches("\"0-0\", \"1-2\"", "\"1-2\""));
        assert!(etag_matches("*", "\"1-2\""));
        assert!(!etag_matches("\"1-3\"", "\"1-2\""));
    }

    #[test]
    fn filters_match_case_insensitively() {
        let r = ContactRecord { full_name: "Anna Petrova".into(), ..Default::default() };
        let f = |t: &str, mt| Filter {
            all: false,
            props: vec![PropFilter {
                name: "FN".into(),
                matches: vec![TextMatch { text: t.into(), match_type: mt, negate: false }],
                ..Default::default()
            }],
        };
        assert!(filter_matches(&r, &f("petr", MatchType::Contains)));
        assert!(filter_matches(&r, &f("anna", MatchType::StartsWith)));
        assert!(!filter_matches(&r, &f("anna", MatchType::EndsWith)));
        assert!(filter_matches(&r, &Filter::default()));
    }
}
