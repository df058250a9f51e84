//! Contacts: validation and normalisation, create/update (with optimistic versioning), soft
//! delete and restore, the paged list with filters and sorting, and the history.

pub mod labels;
pub mod matching;
pub mod photos;

use crate::dto::{self, Contact, ContactField, ContactInput, ContactQuery, Page, CONTACT_KINDS, MAX_CURSOR};
use crate::platform::text::{email_key, is_email, phone_e164};
use crate::{platform::audit, platform::settings, search, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{contact, contact_email, contact_phone};
use labels::{Groups, Tags};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, Value,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A validated, normalised contact ready to be stored.
pub(crate) struct Clean {
    pub(crate) input: ContactInput,
    pub(crate) phones: Vec<dto::Phone>,
    /// (kind, address, key)
    pub(crate) emails: Vec<(String, String, String)>,
    pub(crate) tags: Vec<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) source: String,
}

impl Clean {
    /// The contact's phone rows, in their order, for contact `id`.
    pub(crate) fn phone_rows(&self, id: i64) -> impl Iterator<Item = contact_phone::ActiveModel> + '_ {
        self.phones.iter().enumerate().map(move |(i, p)| contact_phone::ActiveModel {
            contact_id: Set(id),
            kind: Set(p.kind.clone()),
            number: Set(p.number.clone()),
            e164: Set(p.e164.clone()),
            position: Set(i as i32),
            ..Default::default()
        })
    }

    /// The contact's e-mail rows, in their order, for contact `id`.
    pub(crate) fn email_rows(&self, id: i64) -> impl Iterator<Item = contact_email::ActiveModel> + '_ {
        self.emails.iter().enumerate().map(move |(i, (kind, address, key))| contact_email::ActiveModel {
            contact_id: Set(id),
            kind: Set(kind.clone()),
            address: Set(address.clone()),
            normalized: Set(key.clone()),
            position: Set(i as i32),
            ..Default::default()
        })
    }

    pub(crate) fn tags(&self) -> &[String] {
        &self.tags
    }
    pub(crate) fn groups(&self) -> &[String] {
        &self.groups
    }
}

fn check_len(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.chars().count() > max {
        return Err(AppError::validation(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

fn check_kind(field: String, kind: &str) -> AppResult<String> {
    let k = kind.trim().to_lowercase();
    let k = if k.is_empty() { "other".to_string() } else { k };
    if CONTACT_KINDS.contains(&k.as_str()) {
        Ok(k)
    } else {
        Err(AppError::validation(field, format!("must be one of {}", CONTACT_KINDS.join(", "))))
    }
}

fn names(list: &[dto::NameRef], field: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, n) in list.iter().enumerate() {
        let name = n.name().trim().to_string();
        if name.is_empty() {
            return Err(AppError::validation(format!("{field}[{i}]"), "must not be empty"));
        }
        check_len(&format!("{field}[{i}]"), n.name(), 50)?;
        add_name(&mut out, name);
    }
    Ok(out)
}

/// Adds a tag or group name unless the list has it already in another case (a label is one
/// label whatever the case it is written in).
fn add_name(names: &mut Vec<String>, name: String) {
    let lower = name.to_lowercase();
    if !names.iter().any(|n| n.to_lowercase() == lower) {
        names.push(name);
    }
}

/// Trims, validates and normalises what a client sent. Errors name the offending field.
pub(crate) fn clean(mut input: ContactInput, region: &str) -> AppResult<Clean> {
    for f in ContactField::ALL {
        let value = f.of_input_mut(&mut input);
        // The length counts the text as sent (as the API document's maxLength does), then it is trimmed.
        check_len(f.name(), value, f.max_len())?;
        *value = value.trim().to_string();
    }
    if input.full_name.is_empty() {
        input.full_name = [&input.prefix, &input.first_name, &input.middle_name, &input.last_name]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
    if !input.website.is_empty() && (input.website.contains(char::is_whitespace) || !input.website.contains('.')) {
        return Err(AppError::validation("website", "is not a valid web address"));
    }
    if input.phones.len() > 20 || input.emails.len() > 20 {
        return Err(AppError::validation("phones", "at most 20 phones and 20 e-mails"));
    }
    let mut phones = Vec::new();
    for (i, p) in input.phones.iter().enumerate() {
        check_len(&format!("phones[{i}].number"), &p.number, 64)?;
        let number = p.number.trim().to_string();
        if number.is_empty() {
            continue;
        }
        let digits = number.chars().filter(|c| c.is_ascii_digit()).count();
        if digits < 3 || number.chars().any(|c| c.is_alphabetic() && !"extEXTдобДОБ".contains(c)) {
            return Err(AppError::validation(format!("phones[{i}].number"), "is not a phone number"));
        }
        let kind = check_kind(format!("phones[{i}].kind"), &p.kind)?;
        phones.push(dto::Phone { kind, e164: phone_e164(&number, region), number });
    }
    let mut emails = Vec::new();
    for (i, e) in input.emails.iter().enumerate() {
        let address = e.address.trim().to_string();
        if address.is_empty() {
            continue;
        }
        if !is_email(&address) {
            return Err(AppError::validation(format!("emails[{i}].address"), "is not a valid e-mail address"));
        }
        let kind = check_kind(format!("emails[{i}].kind"), &e.kind)?;
        emails.push((kind, address.clone(), email_key(&address)));
    }
    if input.full_name.is_empty() && input.company.is_empty() && phones.is_empty() && emails.is_empty() {
        return Err(AppError::validation("full_name", "a contact needs a name, a company, a phone or an e-mail"));
    }
    let source = check_source(input.source.as_deref())?;
    let tags = names(&input.tags, "tags")?;
    let groups = names(&input.groups, "groups")?;
    Ok(Clean { input, phones, emails, tags, groups, source })
}

/// Where a contact came from, as a client may name it (the OpenAPI enum of `ContactInput.source`).
pub const SOURCES: [&str; 7] = ["manual", "ocr", "device", "import", "telegram", "whatsapp", "carddav"];

/// A contact's `source` as given (absent: `manual`), trimmed and lower-cased, or 422 naming `source`.
/// Also checked where the service sets the source itself (a saved scan is `ocr` whatever was sent),
/// so a value outside the enum is refused everywhere, not silently replaced.
pub(crate) fn check_source(source: Option<&str>) -> AppResult<String> {
    let source = source.unwrap_or("manual").trim().to_lowercase();
    if !SOURCES.contains(&source.as_str()) {
        return Err(AppError::validation("source", format!("must be one of {}", SOURCES.join(", "))));
    }
    Ok(source)
}

/// The fields the contact list's search looks in, besides the e-mails and phones.
const SEARCHED: [ContactField; 5] = [
    ContactField::FullName,
    ContactField::Company,
    ContactField::Position,
    ContactField::Department,
    ContactField::Website,
];

pub(crate) fn search_text(c: &Clean) -> String {
    let mut parts: Vec<String> = SEARCHED.iter().map(|f| f.of_input(&c.input).to_string()).collect();
    parts.extend(c.emails.iter().map(|e| e.2.clone()));
    for p in &c.phones {
        parts.push(crate::platform::text::digits(&p.number));
        if let Some(e) = &p.e164 {
            parts.push(e.trim_start_matches('+').to_string());
        }
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    crate::platform::text::searchable(&refs)
}

/// The editable state of a contact, the shape history diffs are taken over: each text field,
/// then `phones` and `emails` as `kind: value` lines, the tag and group names sorted.
fn history_state<'a>(
    text: impl Fn(ContactField) -> &'a str,
    phones: Vec<String>,
    emails: Vec<String>,
    mut tags: Vec<&str>,
    mut groups: Vec<&str>,
) -> serde_json::Value {
    tags.sort_unstable();
    groups.sort_unstable();
    let mut state: serde_json::Map<String, serde_json::Value> =
        ContactField::ALL.into_iter().map(|f| (f.name().to_string(), text(f).into())).collect();
    state.insert("phones".into(), json!(phones));
    state.insert("emails".into(), json!(emails));
    state.insert("tags".into(), json!(tags));
    state.insert("groups".into(), json!(groups));
    state.into()
}

/// [`history_state`] of a stored contact.
pub(crate) fn snapshot(c: &Contact) -> serde_json::Value {
    history_state(
        |f| f.of(c),
        c.phones.iter().map(|p| format!("{}: {}", p.kind, p.number)).collect(),
        c.emails.iter().map(|e| format!("{}: {}", e.kind, e.address)).collect(),
        c.tags.iter().map(|t| t.name.as_str()).collect(),
        c.groups.iter().map(|g| g.name.as_str()).collect(),
    )
}

/// [`snapshot`] of a contact about to be written (the same shape, from its cleaned fields).
pub(crate) fn snapshot_of_clean(c: &Clean) -> serde_json::Value {
    history_state(
        |f| f.of_input(&c.input),
        c.phones.iter().map(|p| format!("{}: {}", p.kind, p.number)).collect(),
        c.emails.iter().map(|e| format!("{}: {}", e.0, e.1)).collect(),
        c.tags.iter().map(String::as_str).collect(),
        c.groups.iter().map(String::as_str).collect(),
    )
}

pub(crate) fn empty_snapshot() -> serde_json::Value {
    history_state(|_| "", Vec::new(), Vec::new(), Vec::new(), Vec::new())
}

pub(crate) async fn write_children<C: ConnectionTrait>(db: &C, id: i64, c: &Clean) -> AppResult<()> {
    contact_phone::Entity::delete_many().filter(contact_phone::Column::ContactId.eq(id)).exec(db).await?;
    contact_email::Entity::delete_many().filter(contact_email::Column::ContactId.eq(id)).exec(db).await?;
    if !c.phones.is_empty() {
        contact_phone::Entity::insert_many(c.phone_rows(id)).exec(db).await?;
    }
    if !c.emails.is_empty() {
        contact_email::Entity::insert_many(c.email_rows(id)).exec(db).await?;
    }
    let tag_ids = labels::ensure::<Tags, _>(db, &c.tags).await?;
    labels::set_for_contact::<Tags, _>(db, id, &tag_ids).await?;
    let group_ids = labels::ensure::<Groups, _>(db, &c.groups).await?;
    labels::set_for_contact::<Groups, _>(db, id, &group_ids).await?;
    Ok(())
}

/// Creates a contact; writes its audit entry, its duplicate keys and the pending duplicate pairs
/// it makes in the same transaction.
pub async fn create(svc: &Services, actor: &Actor, input: ContactInput) -> AppResult<Contact> {
    let new = prepare(svc, input).await?;
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let created = create_in(&txn, actor, new).await?;
    txn.commit().await?;
    created_committed(svc, &created);
    Ok(created)
}

/// A contact checked and ready to be written by [`create_in`]: its cleaned fields and the
/// duplicate-matching settings, read before the caller's transaction begins (an in-memory SQLite
/// pool has a single connection, which the transaction holds).
pub struct NewContact {
    c: Clean,
    match_settings: dedup::Settings,
}

impl NewContact {
    /// Puts the new contact in group `group_id` too. The group's name is read inside the caller's
    /// write transaction (its row locked on PostgreSQL; SQLite's write transaction holds the whole
    /// database) and the contact is then written under that name, so a rename or a delete of the
    /// group between the read and the write cannot make a second group of the old name. 404 when
    /// the group is gone.
    pub async fn join_group_in(&mut self, txn: &DatabaseTransaction, group_id: i64) -> AppResult<()> {
        let mut find = entity::contact_group::Entity::find_by_id(group_id);
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            find = find.lock_exclusive();
        }
        let group = find.one(txn).await?.ok_or_else(|| AppError::not_found("address book"))?;
        add_name(&mut self.c.groups, group.name);
        Ok(())
    }
}

/// Checks and cleans a new contact's fields (422 on bad input); nothing is written.
pub async fn prepare(svc: &Services, input: ContactInput) -> AppResult<NewContact> {
    let region = settings::default_region(svc).await?;
    let c = clean(input, &region)?;
    let match_settings = matching::match_settings(svc).await?;
    Ok(NewContact { c, match_settings })
}

/// The row of a new contact (version 1, sequence number 0 until its id is known; an import sets
/// both id and sequence number up front).
pub(crate) fn new_row(
    c: &Clean,
    text: String,
    uid: String,
    owner: i64,
    now: chrono::DateTime<Utc>,
) -> contact::ActiveModel {
    let mut row = contact::ActiveModel {
        uid: Set(uid),
        sequence_number: Set(0),
        source: Set(c.source.clone()),
        search_text: Set(text),
        version: Set(1),
        owner_id: Set(Some(owner)),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        merged_into_id: Set(None),
        ..Default::default()
    };
    for f in ContactField::ALL {
        row.set(column(f), f.of_input(&c.input).into());
    }
    row
}

/// The column of `contacts` that stores a text field: the one of the same name (a test reads
/// every field's).
fn column(f: ContactField) -> contact::Column {
    f.name().parse().expect("every contact field has its column")
}

/// Writes a prepared contact inside the caller's transaction: the row, its phones, e-mails, tags
/// and groups, its audit entry, duplicate keys and pending pairs. The caller commits and then
/// calls [`created_committed`].
pub async fn create_in(txn: &DatabaseTransaction, actor: &Actor, new: NewContact) -> AppResult<Contact> {
    let NewContact { c, match_settings } = new;
    let now = Utc::now();
    let text = search_text(&c);
    crate::search::remember_words(txn, &text).await?;
    let row = new_row(&c, text, uuid::Uuid::new_v4().to_string(), actor.user_id, now).insert(txn).await?;
    // The sequence number is the row id: unique and monotonic without a second counter.
    contact::Entity::update_many()
        .col_expr(contact::Column::SequenceNumber, Expr::value(row.id))
        .filter(contact::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    write_children(txn, row.id, &c).await?;
    let created = load_one(txn, row.id).await?;
    let changes = audit::diff(&empty_snapshot(), &snapshot(&created));
    audit::record(txn, Some(actor.user_id), Some(row.id), "contact", "create", json!({ "changes": changes })).await?;
    matching::sync_keys(txn, &created, &match_settings).await?;
    matching::record_pairs(txn, &created, &match_settings).await?;
    Ok(created)
}

/// What follows a committed create: the list caches are dropped and the counters move.
pub fn created_committed(svc: &Services, created: &Contact) {
    svc.contacts_changed();
    metrics::gauge!("contacts_total").increment(1.0);
    metrics::counter!("contacts_created_total", "source" => created.source.clone()).increment(1);
}

/// Writes a contact's own fields (not its phones, e-mails, tags or groups) and bumps its version,
/// only if the stored version is still `version`. Returns the number of rows written (0: stale).
pub(crate) async fn write_fields<C: ConnectionTrait>(
    db: &C,
    id: i64,
    c: &Clean,
    version: i32,
    now: chrono::DateTime<Utc>,
) -> AppResult<u64> {
    let i = &c.input;
    let text = search_text(c);
    let mut update = contact::Entity::update_many();
    for f in ContactField::ALL {
        update = update.col_expr(column(f), Expr::value(f.of_input(i).to_string()));
    }
    let res = update
        .col_expr(contact::Column::SearchText, Expr::value(text.clone()))
        .col_expr(contact::Column::Version, Expr::col(contact::Column::Version).add(1))
        .col_expr(contact::Column::UpdatedAt, Expr::value(now))
        .filter(contact::Column::Id.eq(id))
        .filter(contact::Column::Version.eq(version))
        .exec(db)
        .await?;
    if res.rows_affected > 0 {
        crate::search::remember_words(db, &text).await?;
    }
    Ok(res.rows_affected)
}

/// Replaces a contact's fields. `input.version` must equal the stored version, else 409.
pub async fn update(svc: &Services, actor: &Actor, id: i64, input: ContactInput) -> AppResult<Contact> {
    let Some(version) = input.version else {
        return Err(AppError::validation("version", "is required: send the version you last read"));
    };
    let region = settings::default_region(svc).await?;
    let c = clean(input, &region)?;
    let match_settings = matching::match_settings(svc).await?;
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let (_, after) = update_in(&txn, actor, id, &c, version, &match_settings, None).await?;
    txn.commit().await?;
    svc.contacts_changed();
    Ok(after)
}

/// Replaces a contact's fields inside the caller's transaction if its stored version is still
/// `version` (else 409): fields, children, the audit entry (with `import` set when an import or its
/// undo made the change) and the duplicate keys. Returns the contact before and after.
pub(crate) async fn update_in<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    id: i64,
    c: &Clean,
    version: i32,
    match_settings: &dedup::Settings,
    import: Option<serde_json::Value>,
) -> AppResult<(Contact, Contact)> {
    let before = load_one(txn, id).await?;
    ensure_not_merged(txn, id).await?;
    if before.deleted_at.is_some() {
        return Err(AppError::Conflict("the contact is in the trash; restore it first".into()));
    }
    let res = write_fields(txn, id, c, version, Utc::now()).await?;
    if res == 0 {
        return Err(AppError::Conflict(format!(
            "the contact was changed by someone else (version {} now, you sent {version}); reload and try again",
            before.version
        )));
    }
    write_children(txn, id, c).await?;
    let after = load_one(txn, id).await?;
    let changes = audit::diff(&snapshot(&before), &snapshot(&after));
    if !changes.is_empty() {
        let mut detail = json!({ "changes": changes });
        if let Some(i) = import {
            detail["import"] = i;
        }
        audit::record(txn, Some(actor.user_id), Some(id), "contact", "update", detail).await?;
    }
    matching::sync_keys(txn, &after, match_settings).await?;
    Ok((before, after))
}

/// Trash or restore; the duplicate keys go with it (a contact in the trash has none).
async fn set_deleted(svc: &Services, actor: &Actor, id: i64, deleted: bool) -> AppResult<Contact> {
    let match_settings = matching::match_settings(svc).await?;
    let txn = crate::platform::db::begin_write(&svc.db).await?;
    let before = load_one(&txn, id).await?;
    ensure_not_merged(&txn, id).await?;
    if before.deleted_at.is_some() == deleted {
        return Ok(before);
    }
    let value = if deleted { Some(Utc::now()) } else { None };
    contact::Entity::update_many()
        .col_expr(contact::Column::DeletedAt, Expr::value(value))
        .col_expr(contact::Column::Version, Expr::col(contact::Column::Version).add(1))
        .col_expr(contact::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contact::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let action = if deleted { "delete" } else { "restore" };
    let change = json!({"changes": [{"field": "deleted", "from": !deleted, "to": deleted}]});
    audit::record(&txn, Some(actor.user_id), Some(id), "contact", action, change).await?;
    let after = load_one(&txn, id).await?;
    matching::sync_keys(&txn, &after, &match_settings).await?;
    txn.commit().await?;
    svc.contacts_changed();
    metrics::gauge!("contacts_total").increment(if deleted { -1.0 } else { 1.0 });
    Ok(after)
}

/// Moves a contact to the trash (it can be restored).
pub async fn delete(svc: &Services, actor: &Actor, id: i64) -> AppResult<Contact> {
    set_deleted(svc, actor, id, true).await
}

pub async fn restore(svc: &Services, actor: &Actor, id: i64) -> AppResult<Contact> {
    set_deleted(svc, actor, id, false).await
}

pub async fn get(svc: &Services, _actor: &Actor, id: i64) -> AppResult<Contact> {
    load_one(&svc.db, id).await
}

pub async fn history(svc: &Services, _actor: &Actor, id: i64) -> AppResult<Vec<dto::HistoryEntry>> {
    // 404 for an unknown contact rather than an empty history.
    contact::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("contact"))?;
    audit::contact_history(&svc.db, id, 500).await
}

/// The number of live contacts, for the unfiltered list's "N contacts" and page count: counting a
/// large table on every page would dominate the request (a million rows: ~100 ms). A count older
/// than [`COUNT_FRESH`] is still shown while one request's background task counts again, so no
/// request waits for the count; a write on this instance drops it (the next page counts), and a
/// count older than [`COUNT_USABLE`] (the refresh failing) is not shown at all.
#[derive(Default)]
pub struct CountCache {
    live: Mutex<Option<(Instant, u64)>>,
    /// Bumped by every invalidation, so a count begun before a write is not stored after it.
    generation: AtomicU64,
    refreshing: AtomicBool,
}

const COUNT_FRESH: Duration = Duration::from_secs(2);
const COUNT_USABLE: Duration = Duration::from_secs(60);

impl CountCache {
    /// The count, and whether it is due for a recount; none when there is none worth showing.
    fn get(&self) -> Option<(u64, bool)> {
        let (at, n) = (*self.live.lock().ok()?)?;
        let age = at.elapsed();
        (age < COUNT_USABLE).then_some((n, age >= COUNT_FRESH))
    }
    fn generation(&self) -> u64 {
        self.generation.load(AtomicOrdering::SeqCst)
    }
    /// Keeps `n`, counted since `generation`, unless the contacts changed meanwhile.
    fn put(&self, n: u64, generation: u64) {
        if let Ok(mut v) = self.live.lock() {
            if self.generation.load(AtomicOrdering::SeqCst) == generation {
                *v = Some((Instant::now(), n));
            }
        }
    }
    /// True for the one caller that is to recount.
    fn claim_recount(&self) -> bool {
        !self.refreshing.swap(true, AtomicOrdering::SeqCst)
    }
    fn recounted(&self) {
        self.refreshing.store(false, AtomicOrdering::SeqCst);
    }
    pub(crate) fn invalidate(&self) {
        if let Ok(mut v) = self.live.lock() {
            self.generation.fetch_add(1, AtomicOrdering::SeqCst);
            *v = None;
        }
    }
}

fn lower(col: contact::Column) -> sea_orm::sea_query::SimpleExpr {
    Func::lower(Expr::col((contact::Entity, col))).into()
}

/// The paged contact list with filters, sorting and (when `q` is set) search.
/// Every user of the team sees the same contacts, so pages are shared between users (see
/// `Services::lists`, an [`crate::platform::answers::Answers`] cache).
pub async fn list(svc: &Services, _actor: &Actor, q: &ContactQuery) -> AppResult<Page<Contact>> {
    let key = serde_json::to_string(q).unwrap_or_default();
    svc.lists.get_or_read(key, || list_uncached(svc, q)).await
}

async fn list_uncached(svc: &Services, q: &ContactQuery) -> AppResult<Page<Contact>> {
    let (page, limit) = crate::platform::db::paging(q.page, q.limit, 25)?;
    let trash = q.trash.unwrap_or(false);
    if let Some(sort) = q.sort.as_deref() {
        if !dto::CONTACT_SORTS.contains(&sort) {
            return Err(AppError::validation(
                "sort",
                format!("unknown sort '{sort}'; use one of {}", dto::CONTACT_SORTS.join(", ")),
            ));
        }
    }
    if let Some(order) = q.order.as_deref() {
        if !dto::SORT_ORDERS.contains(&order) {
            return Err(AppError::validation("order", "must be asc or desc"));
        }
    }
    // An empty cursor is no cursor, as an empty filter is no filter.
    let after = q.after.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let before = q.before.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if after.is_some() && before.is_some() {
        return Err(AppError::validation("after", "use after or before, not both"));
    }
    if q.page.is_some() && (after.is_some() || before.is_some()) {
        return Err(AppError::validation("page", "use page or a cursor (after or before), not both"));
    }
    let mut select = contact::Entity::find().filter(if trash {
        contact::Column::DeletedAt.is_not_null()
    } else {
        contact::Column::DeletedAt.is_null()
    });
    // Contacts merged into another one are kept for undo but listed nowhere.
    select = select.filter(contact::Column::MergedIntoId.is_null());
    let mut filtered = false;
    if let Some(tag) = q.tag.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filtered = true;
        select = select
            .filter(Expr::col((contact::Entity, contact::Column::Id)).in_subquery(labels::members_query::<Tags>(tag)));
    }
    if let Some(group) = q.group.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filtered = true;
        select = select.filter(
            Expr::col((contact::Entity, contact::Column::Id)).in_subquery(labels::members_query::<Groups>(group)),
        );
    }
    if let Some(company) = q.company.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filtered = true;
        select = select.filter(Expr::expr(lower(contact::Column::Company)).eq(company.to_lowercase()));
    }
    let mut ranked: Option<Vec<i64>> = None;
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filtered = true;
        let ids = search::ids(svc, text, 1000, trash).await?;
        select = select.filter(contact::Column::Id.is_in(ids.clone()));
        ranked = Some(ids);
    }
    let sort = match q.sort.as_deref() {
        // Without a search there is no rank: relevance means the default order.
        Some("relevance") | None if ranked.is_none() => "updated_at",
        Some(s) => s,
        None => "relevance",
    };
    // Newest changes first unless an order is asked for.
    let desc = match q.order.as_deref() {
        Some(o) => o == "desc",
        None => sort == "updated_at",
    };
    let key = SortKey::of(sort);
    let cursor = match (after, before) {
        (Some(c), _) => Some((Cursor::decode("after", c, key, desc)?, true)),
        (_, Some(c)) => Some((Cursor::decode("before", c, key, desc)?, false)),
        _ => None,
    };

    let total = match (filtered || trash, svc.counts.get()) {
        (false, Some((n, due))) => {
            if due && svc.counts.claim_recount() {
                let (db, counts, query) = (svc.db.clone(), svc.counts.clone(), select.clone());
                let generation = counts.generation();
                tokio::spawn(async move {
                    match query.count(&db).await {
                        Ok(n) => counts.put(n, generation),
                        Err(e) => tracing::warn!(error = %e, "recounting the live contacts failed"),
                    }
                    counts.recounted();
                });
            }
            n
        }
        _ => {
            let generation = svc.counts.generation();
            let n = select.clone().count(&svc.db).await?;
            if !filtered && !trash {
                svc.counts.put(n, generation);
            }
            n
        }
    };
    let pages = total.div_ceil(limit);
    let (rows, page, has_previous, has_next) = match (key, cursor) {
        (None, _) => {
            // Ranked by a search (at most 1,000 ids): of the ids that pass the filters, in rank
            // order, the page's; then only the page's rows (not every row that passes).
            let mut passing: std::collections::HashSet<i64> =
                page_ids(&svc.db, select, 0, ranked.as_ref().map_or(0, |r| r.len() as u64))
                    .await?
                    .into_iter()
                    .collect();
            let ids: Vec<i64> = ranked
                .unwrap_or_default()
                .into_iter()
                .filter(|id| passing.remove(id)) // each contact once
                .skip(((page - 1) * limit) as usize)
                .take(limit as usize)
                .collect();
            (rows_in_order(&svc.db, &ids).await?, page, false, false)
        }
        (Some(key), Some((cur, forward))) => {
            // One page from the cursor's place in the sort index, one row more to learn whether
            // the list goes on.
            let mut ids = seek(&svc.db, select, key, &cur, desc == forward, limit + 1).await?;
            let more = ids.len() as u64 > limit;
            ids.truncate(limit as usize);
            if !forward {
                ids.reverse();
            }
            let rows = rows_in_order(&svc.db, &ids).await?;
            // The page number counts on from the cursor's; where the list ends it is put right
            // (contacts added or removed since the cursor was made shift the pages).
            if forward {
                let page = if more { Ord::min(cur.p.saturating_add(1), pages) } else { pages };
                (rows, Ord::max(page, 1), !ids.is_empty(), more)
            } else {
                let page = if more { Ord::max(cur.p.saturating_sub(1), 1) } else { 1 };
                (rows, Ord::min(page, Ord::max(pages, 1)), more, !ids.is_empty())
            }
        }
        (Some(key), None) => {
            let offset = (page - 1) * limit;
            let ids = if offset >= total {
                // Past the end: no walk through the whole index to find nothing.
                Vec::new()
            } else if offset > total / 2 {
                // The back half is read from the other end of the sort index, so the walk past
                // skipped rows is at most half the list (the last page is as fast as the first).
                let take = Ord::min(limit, total - offset);
                let from_end = total - offset - take;
                let mut ids = page_ids(&svc.db, ordered(select, key, !desc), from_end, take).await?;
                ids.reverse();
                ids
            } else {
                page_ids(&svc.db, ordered(select, key, desc), offset, limit).await?
            };
            let rows = rows_in_order(&svc.db, &ids).await?;
            (rows, page, page > 1, page < pages)
        }
    };
    let cursor_of = |row: Option<&contact::Model>, flag: bool| match (key, row) {
        (Some(key), Some(row)) if flag => Some(Cursor::at(key, desc, row, page).encode()),
        _ => None,
    };
    let next = cursor_of(rows.last(), has_next);
    let previous = cursor_of(rows.first(), has_previous);
    let items = load_many(&svc.db, rows).await?;
    Ok(Page { items, total, page, limit, pages, next, previous })
}

/// The contacts of `ids`, in that order.
async fn rows_in_order<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<contact::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = contact::Entity::find().filter(contact::Column::Id.is_in(ids.to_vec())).all(db).await?;
    let pos: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| pos.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

/// What the contact list is sorted on, when it is not ranked by a search. Each has an index
/// that ends in the id (see the list-index migration), so a page is one range of one index.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SortKey {
    Name,
    Company,
    Created,
    Updated,
    Id,
}

impl SortKey {
    fn of(sort: &str) -> Option<SortKey> {
        Some(match sort {
            "name" | "full_name" => SortKey::Name,
            "company" => SortKey::Company,
            "created_at" => SortKey::Created,
            "updated_at" => SortKey::Updated,
            "sequence_number" | "id" => SortKey::Id,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Company => "company",
            SortKey::Created => "created_at",
            SortKey::Updated => "updated_at",
            SortKey::Id => "id",
        }
    }

    /// The sorted expression before the id (none when the id is the sort).
    fn expr(self) -> Option<sea_orm::sea_query::SimpleExpr> {
        match self {
            SortKey::Name => Some(lower(contact::Column::FullName)),
            SortKey::Company => Some(lower(contact::Column::Company)),
            SortKey::Created => Some(Expr::col((contact::Entity, contact::Column::CreatedAt)).into()),
            SortKey::Updated => Some(Expr::col((contact::Entity, contact::Column::UpdatedAt)).into()),
            SortKey::Id => None,
        }
    }

    /// A row's sort value as a cursor carries it.
    fn value_of(self, row: &contact::Model) -> String {
        let time = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        match self {
            SortKey::Name => row.full_name.clone(),
            SortKey::Company => row.company.clone(),
            SortKey::Created => time(&row.created_at),
            SortKey::Updated => time(&row.updated_at),
            SortKey::Id => String::new(),
        }
    }

    /// A cursor's sort value as the database compares it with [`SortKey::expr`]: text through
    /// the same `lower()`, times as the time type they are stored as.
    fn bind(self, value: &str) -> Option<sea_orm::sea_query::SimpleExpr> {
        match self {
            SortKey::Name | SortKey::Company => Some(Func::lower(Expr::val(value.to_string())).into()),
            SortKey::Created | SortKey::Updated => {
                let t = chrono::DateTime::parse_from_rfc3339(value).ok()?.with_timezone(&Utc);
                Some(Expr::val(t).into())
            }
            SortKey::Id => Some(Expr::val(0i64).into()),
        }
    }
}

/// The list's order: the sort, then the id the same way round, so the sort index (which ends in
/// the id) serves the whole ORDER BY (with the id the other way SQLite sorted every run of rows
/// walked, and a deep page cost 6x as much).
fn ordered(select: sea_orm::Select<contact::Entity>, key: SortKey, desc: bool) -> sea_orm::Select<contact::Entity> {
    let order = if desc { Order::Desc } else { Order::Asc };
    let select = match key.expr() {
        Some(e) => select.order_by(e, order.clone()),
        None => select,
    };
    select.order_by(contact::Column::Id, order)
}

/// Up to `n` ids after the cursor's row, walking the list's order downwards (`down`) or upwards.
/// Two index ranges: the rows that share the cursor's sort value (by id), then the rows past it.
/// One row-value comparison `(key, id) > (?, ?)` would say the same, but SQLite does not start an
/// index range from it and walked every row before the cursor (178 ms at a million rows against
/// 7 ms this way).
async fn seek<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<contact::Entity>,
    key: SortKey,
    cur: &Cursor,
    down: bool,
    n: u64,
) -> AppResult<Vec<i64>> {
    let past_id = if down {
        Expr::col((contact::Entity, contact::Column::Id)).lt(cur.i)
    } else {
        Expr::col((contact::Entity, contact::Column::Id)).gt(cur.i)
    };
    let (Some(expr), Some(value)) = (key.expr(), key.bind(&cur.k)) else {
        // Sorted by the id alone.
        return page_ids(db, ordered(select.filter(past_id), key, down), 0, n).await;
    };
    let order = if down { Order::Desc } else { Order::Asc };
    let ties = select.clone().filter(Expr::expr(expr.clone()).eq(value.clone())).filter(past_id);
    let mut ids = page_ids(db, ties.order_by(contact::Column::Id, order), 0, n).await?;
    if (ids.len() as u64) < n {
        let past_value = if down { Expr::expr(expr).lt(value) } else { Expr::expr(expr).gt(value) };
        let rest = ordered(select.filter(past_value), key, down);
        ids.extend(page_ids(db, rest, 0, n - ids.len() as u64).await?);
    }
    Ok(ids)
}

/// The ids of `limit` rows of an ordered list from `offset` on: the walk past skipped rows reads
/// the sort index only (a deep page of 100,000 contacts went from ~60 ms to a few), and only the
/// page's rows are read afterwards.
async fn page_ids<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<contact::Entity>,
    offset: u64,
    limit: u64,
) -> AppResult<Vec<i64>> {
    let select = select.select_only().column(contact::Column::Id).limit(limit);
    let select = if offset > 0 { select.offset(offset) } else { select };
    Ok(select.into_tuple().all(db).await?)
}

/// A place in the contact list: the first or last row of the page it was handed out with (its
/// sort value and id) and that page's number. Sent as unpadded base64url of its JSON, so a
/// client treats it as an opaque token; a cursor is only good for the sort and order it was
/// made in.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Cursor {
    /// sort
    s: String,
    /// descending
    d: bool,
    /// sort value
    k: String,
    /// id
    i: i64,
    /// page number
    p: u64,
}

impl Cursor {
    fn at(key: SortKey, desc: bool, row: &contact::Model, page: u64) -> Cursor {
        Cursor { s: key.name().into(), d: desc, k: key.value_of(row), i: row.id, p: page }
    }

    fn encode(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(field: &'static str, text: &str, key: Option<SortKey>, desc: bool) -> AppResult<Cursor> {
        use base64::Engine as _;
        let Some(key) = key else {
            return Err(AppError::validation(
                field,
                "a search ranked by relevance is paged by number; sort by another key to page with a cursor",
            ));
        };
        let bad = || AppError::validation(field, "not a cursor of this list (take it from a page's next or previous)");
        if text.len() > MAX_CURSOR {
            return Err(bad());
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        let cur: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cur.p == 0 || cur.p > dto::MAX_PAGE || key.bind(&cur.k).is_none() {
            return Err(bad());
        }
        if cur.s != key.name() || cur.d != desc {
            return Err(AppError::validation(
                field,
                "the cursor belongs to another sort or order; start again from the first page",
            ));
        }
        Ok(cur)
    }
}

/// Loads one contact with its phones, e-mails, tags and groups; 404 when it does not exist.
pub async fn load_one<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Contact> {
    let row = contact::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("contact"))?;
    Ok(load_many(db, vec![row]).await?.remove(0))
}

fn placeholders(backend: DatabaseBackend, n: usize) -> String {
    (1..=n).map(|i| crate::platform::db::placeholder(backend, i)).collect::<Vec<_>>().join(", ")
}

/// Loads the children of many contacts with one query per child table (never one per contact).
pub async fn load_many<C: ConnectionTrait>(db: &C, rows: Vec<contact::Model>) -> AppResult<Vec<Contact>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut phones: HashMap<i64, Vec<dto::Phone>> = HashMap::new();
    for p in contact_phone::Entity::find()
        .filter(contact_phone::Column::ContactId.is_in(ids.clone()))
        .order_by_asc(contact_phone::Column::Position)
        .all(db)
        .await?
    {
        phones.entry(p.contact_id).or_default().push(dto::Phone { kind: p.kind, number: p.number, e164: p.e164 });
    }
    let mut emails: HashMap<i64, Vec<dto::Email>> = HashMap::new();
    for e in contact_email::Entity::find()
        .filter(contact_email::Column::ContactId.is_in(ids.clone()))
        .order_by_asc(contact_email::Column::Position)
        .all(db)
        .await?
    {
        emails.entry(e.contact_id).or_default().push(dto::Email { kind: e.kind, address: e.address });
    }
    let backend = db.get_database_backend();
    let values: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
    let ph = placeholders(backend, ids.len());
    let mut tags: HashMap<i64, Vec<dto::TagRef>> = HashMap::new();
    let sql = format!(
        "SELECT ct.contact_id, t.id, t.name, t.color FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
         WHERE ct.contact_id IN ({ph}) ORDER BY t.name"
    );
    for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values.clone())).await? {
        let cid: i64 = r.try_get_by_index(0)?;
        tags.entry(cid).or_default().push(dto::TagRef {
            id: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            color: r.try_get_by_index(3)?,
        });
    }
    let mut groups: HashMap<i64, Vec<dto::GroupRef>> = HashMap::new();
    let sql = format!(
        "SELECT m.contact_id, g.id, g.name FROM contact_group_members m JOIN contact_groups g ON g.id = m.group_id \
         WHERE m.contact_id IN ({ph}) ORDER BY g.name"
    );
    for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        let cid: i64 = r.try_get_by_index(0)?;
        groups.entry(cid).or_default().push(dto::GroupRef { id: r.try_get_by_index(1)?, name: r.try_get_by_index(2)? });
    }
    // Whether each has a photo: the primary key only, never the bytes.
    let with_photo = crate::contacts::photos::which(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Contact {
            phones: phones.remove(&r.id).unwrap_or_default(),
            emails: emails.remove(&r.id).unwrap_or_default(),
            tags: tags.remove(&r.id).unwrap_or_default(),
            groups: groups.remove(&r.id).unwrap_or_default(),
            id: r.id,
            uid: r.uid,
            sequence_number: r.sequence_number,
            prefix: r.prefix,
            first_name: r.first_name,
            middle_name: r.middle_name,
            last_name: r.last_name,
            full_name: r.full_name,
            company: r.company,
            position: r.position,
            department: r.department,
            website: r.website,
            address: r.address,
            notes: r.notes,
            source: r.source,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            has_photo: with_photo.contains(&r.id),
        })
        .collect())
}

/// Counts live contacts (for the `contacts_total` gauge at start-up).
pub async fn count_live(svc: &Services) -> AppResult<u64> {
    Ok(contact::Entity::find()
        .filter(contact::Column::DeletedAt.is_null())
        .filter(contact::Column::MergedIntoId.is_null())
        .count(&svc.db)
        .await?)
}

/// Distinct company names for the filter box, most common first.
pub async fn companies(svc: &Services, prefix: &str, limit: u64) -> AppResult<Vec<String>> {
    let rows = contact::Entity::find()
        .select_only()
        .column(contact::Column::Company)
        .filter(contact::Column::DeletedAt.is_null())
        .filter(contact::Column::Company.ne(""))
        .filter(
            Expr::expr(lower(contact::Column::Company)).like(format!("{}%", prefix.to_lowercase().replace('%', ""))),
        )
        .group_by(contact::Column::Company)
        .order_by_desc(Expr::col(contact::Column::Id).count())
        .limit(Ord::min(limit, 50))
        .into_tuple::<String>()
        .all(&svc.db)
        .await?;
    Ok(rows)
}

/// 409 when contact `id` was merged into another one: it is kept only so the merge can be
/// undone, and is not edited, trashed or restored on its own.
pub(crate) async fn ensure_not_merged<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<()> {
    let into: Option<Option<i64>> = entity::contact::Entity::find_by_id(id)
        .select_only()
        .column(entity::contact::Column::MergedIntoId)
        .into_tuple()
        .one(db)
        .await?;
    match into.flatten() {
        Some(into) => Err(merged_conflict(id, into)),
        None => Ok(()),
    }
}

/// The 409 for a write to contact `id`, merged into `into`.
pub(crate) fn merged_conflict(id: i64, into: i64) -> AppError {
    AppError::Conflict(format!(
        "contact {id} was merged into contact {into}; edit that one, or undo the merge from its history"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ContactInput {
        ContactInput { first_name: " Anna ".into(), last_name: "Petrova".into(), ..Default::default() }
    }

    #[test]
    fn a_count_begun_before_a_write_is_not_kept_after_it() {
        let counts = CountCache::default();
        assert_eq!(counts.get(), None);
        let before = counts.generation();
        counts.put(10, before);
        assert_eq!(counts.get(), Some((10, false)), "fresh, not yet due for a recount");
        // A recount starts, a write drops the count, the recount finishes: its number is stale.
        assert!(counts.claim_recount());
        assert!(!counts.claim_recount(), "one recount at a time");
        let started = counts.generation();
        counts.invalidate();
        counts.put(10, started);
        counts.recounted();
        assert_eq!(counts.get(), None);
        counts.put(11, counts.generation());
        assert_eq!(counts.get(), Some((11, false)));
        assert!(counts.claim_recount());
    }

    #[test]
    fn every_text_field_is_checked_trimmed_and_stored_in_its_column() {
        let mut sent = input();
        for f in ContactField::ALL {
            f.set(&mut sent, format!(" {}.text ", f.name()));
        }
        let c = clean(sent, "US").unwrap();
        let row = new_row(&c, String::new(), "uid".into(), 1, Utc::now());
        for f in ContactField::ALL {
            assert_eq!(f.of_input(&c.input), format!("{}.text", f.name()));
            assert_eq!(row.get(column(f)).into_value(), Some(Value::from(format!("{}.text", f.name()))));
            let mut long = input();
            f.set(&mut long, "x".repeat(f.max_len() + 1));
            let err = clean(long, "US").err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(f.name()), "{}: {err}", f.name());
        }
        let changes = audit::diff(&empty_snapshot(), &snapshot_of_clean(&c));
        let names: Vec<&str> = changes.iter().map(|ch| ch.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "address",
                "company",
                "department",
                "first_name",
                "full_name",
                "last_name",
                "middle_name",
                "notes",
                "position",
                "prefix",
                "website"
            ]
        );
    }

    #[test]
    fn derives_full_name_and_trims() {
        let c = clean(input(), "US").unwrap();
        assert_eq!(c.input.full_name, "Anna Petrova");
        assert_eq!(c.source, "manual");
    }

    #[test]
    fn rejects_bad_fields_by_name() {
        let mut i = input();
        i.emails.push(dto::EmailInput { kind: "work".into(), address: "not-an-email".into() });
        match clean(i, "US") {
            Err(AppError::Validation { field, .. }) => assert_eq!(field, "emails[0].address"),
            other => panic!("{:?}", other.err()),
        }
        let mut i = input();
        i.phones.push(dto::PhoneInput { kind: "pager".into(), number: "+1 917 857 0839".into() });
        assert!(matches!(clean(i, "US"), Err(AppError::Validation { field, .. }) if field == "phones[0].kind"));
        let mut i = input();
        i.phones.push(dto::PhoneInput { kind: "work".into(), number: "hello".into() });
        assert!(matches!(clean(i, "US"), Err(AppError::Validation { field, .. }) if field == "phones[0].number"));
        assert!(matches!(clean(ContactInput::default(), "US"), Err(AppError::Validation { .. })));
    }

    #[test]
    fn normalises_phones() {
        let mut i = input();
        i.phones.push(dto::PhoneInput { kind: "Mobile".into(), number: "8 (916) 123-45-67".into() });
        let c = clean(i, "RU").unwrap();
        assert_eq!(c.phones[0].kind, "mobile");
        assert_eq!(c.phones[0].e164.as_deref(), Some("+79161234567"));
        assert!(search_text(&c).contains("79161234567"));
    }
}
